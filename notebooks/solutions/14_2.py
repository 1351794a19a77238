import helpers

# x0's floor is the eps-floor / SNR, the score's is the eps-floor * (1 + SNR); with SNR about 1e5 at t = 0 the score's is
# larger by a factor of about 1e10.
prediction = "b"

helpers.check_exercise("14.2", prediction)
