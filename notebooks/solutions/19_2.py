import helpers


def shared_step_probability(d, T):
    # Under the linear schedule a position still masked at step t is revealed there with probability 1/t, so it is
    # revealed at step t with probability (t/T)(1/t) = 1/T: every position's step is uniform on 1 .. T, independently.
    # All d steps differ with probability (1 - 0/T)(1 - 1/T)...(1 - (d-1)/T), the birthday problem.
    all_different = 1.0
    for k in range(d):
        all_different *= max(0.0, 1 - k / T)
    return 1 - all_different


helpers.check_exercise("19.2", shared_step_probability)
