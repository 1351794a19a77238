import helpers


def off_plane_shrinkage(alpha_bar, std):
    # Off the plane y_0 = std n and y_t = sqrt(alpha_bar) y_0 + sqrt(1 - alpha_bar) eps, independent Gaussians: for
    # a = sqrt(alpha_bar) y_0 and b the noise, E[a | a + b] = var(a) / (var(a) + var(b)) (a + b), so
    # E[y_0 | y_t] = sqrt(alpha_bar) std^2 / (alpha_bar std^2 + 1 - alpha_bar) times y_t, off the plane.
    return alpha_bar**0.5 * std**2 / (alpha_bar * std**2 + 1 - alpha_bar)


helpers.check_exercise("21.2", off_plane_shrinkage)
# The S-curve's std is 0.01: off the plane the exact denoiser keeps 82 % of y_t at lesson 08's first step, 21 % by the
# eleventh and 0.04 % at the last: once the noise outweighs 0.01, it throws away almost all of what lies off the plane.
schedule = helpers.sigmoid_schedule(100)
for t in (0, 10, 99):
    print(f"t = {t}: alpha_bar {schedule.alpha_bar[t].item():.4f}, factor {off_plane_shrinkage(schedule.alpha_bar[t].item(), 0.01):.2e}")
