import helpers

# x0's floor is the eps-floor / SNR, the score's is the eps-floor * (1 + SNR); with SNR about 4.5e4 at t = 0 the score's is
# larger by a factor of about 2e9.
prediction = "b"

helpers.check_exercise("14.2", prediction)
