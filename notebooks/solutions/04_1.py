def merged_beta(beta1, beta2):
    return 1 - (1 - beta1) * (1 - beta2)
