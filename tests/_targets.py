"""Targets in a loss's domain, for the tests that run over every regression loss."""

import numpy as np


def log_link(loss):
    """Whether ``loss`` (a class or an instance) predicts ``exp(raw)`` with targets >= 0:
    Poisson, Tweedie and gamma in the registry."""
    return loss.target_min >= 0


def regression_target(loss, signal, rng):
    """A target for ``loss`` (an instance) from a linear ``signal``: with a log link,
    counts of mean ``exp(0.3 signal)`` where 0 is a valid target (Poisson, Tweedie below
    power 2), gamma draws of that mean where it is not; otherwise the signal plus
    standard normal noise."""
    if not log_link(loss):
        return signal + rng.standard_normal(len(signal))
    mu = np.exp(0.3 * signal)
    if loss.target_min_inclusive:
        return rng.poisson(mu).astype(float)
    return rng.gamma(2.0, mu / 2.0)


def into_domain(loss, y):
    """Real targets ``y`` moved into ``loss``'s domain: unchanged without a lower bound,
    their absolute values with one (plus 1 where 0 is not valid)."""
    if loss.target_min == -np.inf:
        return y
    return np.abs(y) + (0.0 if loss.target_min_inclusive else 1.0)
