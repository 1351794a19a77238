# With x_0 = 0 the variance recursion starts from 0: Var_T = 1 - alpha_bar_T (lesson 02: 0.222),
# so each coordinate of x_T has std sqrt(0.222) = 0.471, the noise coefficient of x_T = 0.882 x_0 + 0.471 eps.
import helpers

prediction = 0.471
helpers.check_exercise("03.3", prediction)
