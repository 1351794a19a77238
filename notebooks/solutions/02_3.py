# SNR_T = alpha_bar_T sigma_data^2 / (1 - alpha_bar_T). Without the division by 10 every point is 10 times
# larger, so sigma_data^2 is 100 times larger and so is the SNR: 100 * 0.043 = 4.3, the data's variance
# then four times the noise's.
import helpers

prediction = 4.3
helpers.check_exercise("02.3", prediction)
