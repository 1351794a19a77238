import helpers


def dit_parameters(width, depth, heads, patch):
    # A linear map from a to b numbers has a * b weights and b biases; the layer norms have no parameters.
    def linear(a, b):
        return a * b + b

    tokens, size = (8 // patch) ** 2, patch * patch
    step_embedding = 2 * linear(width, width)
    patch_embedding = linear(size, width) + tokens * width  # and the learned positions
    block = linear(width, 3 * width) + linear(width, width) + linear(width, 4 * width) + linear(4 * width, width) \
        + linear(width, 6 * width)
    final = linear(width, 2 * width) + linear(width, size)
    # Heads split the width's numbers into groups; they add no weights, so `heads` changes nothing.
    return step_embedding + patch_embedding + depth * block + final


helpers.check_exercise("20.1", dit_parameters)
