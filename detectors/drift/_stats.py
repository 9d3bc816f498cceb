"""The drift statistics, computed the way Evidently 0.7 computes them, on prepared arrays.

The reference side is a weighted empirical distribution: sorted ``values`` with cumulative
integer counts ``cum`` (leading 0, length ``values.size + 1``). When a profile holds every
distinct reference value this is exactly Evidently's reference sample; otherwise it is the
compressed form described in ``_profile``. The current side is a sorted float array without
NaN/inf.

Sources mirrored: ``evidently/legacy/calculations/stattests/{psi,jensenshannon,
wasserstein_distance_norm,ks_stattest,chisquare_stattest,utils}.py``, and
``scipy.stats.wasserstein_distance`` / ``ks_2samp`` / ``chisquare``,
``scipy.spatial.distance.jensenshannon``, ``numpy.histogram_bin_edges(bins="sturges")``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

KS_MAX_EXACT_N = 10_000  # scipy's MAX_AUTO_N: exact p-value when max(n1, n2) <= this
BINNED_MIN_UNIQUE = 20  # Evidently bins numeric data with > 20 distinct reference values


def sturges_edges(lo: float, hi: float, n: int) -> np.ndarray:
    """``np.histogram_bin_edges(data, "sturges")`` for float data of size ``n`` in [lo, hi].

    numpy widens the bin width to 1 for integer dtypes; that changes edges only when
    log2(n) + 1 > hi - lo, i.e. > 20 distinct integers in more than ~500k rows. Not mirrored.
    """
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    width = (hi - lo) / (np.log2(n) + 1.0)
    n_bins = int(np.ceil((hi - lo) / width)) if width else 1
    return np.linspace(lo, hi, n_bins + 1)


def _cum_at(sorted_values: np.ndarray, cum: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts per bin; bins are half-open except the last (``np.histogram`` semantics)."""
    idx = np.empty(edges.size, dtype=np.intp)
    idx[:-1] = np.searchsorted(sorted_values, edges[:-1], side="left")
    idx[-1] = np.searchsorted(sorted_values, edges[-1], side="right")
    return np.diff(cum[idx])


def binned_percents(
    values: np.ndarray, cum: np.ndarray, lo: float, hi: float, n_ref: int, cur: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Share per Sturges bin over the combined range (Evidently's numeric ``get_binned_data``)."""
    edges = sturges_edges(min(lo, float(cur[0])), max(hi, float(cur[-1])), n_ref + cur.size)
    ref = _cum_at(values, cum, edges) / cum[-1]
    cur_cum = np.arange(cur.size + 1)
    return ref, _cum_at(cur, cur_cum, edges) / cur.size


def value_percents(
    ref_values: np.ndarray, ref_counts: np.ndarray, cur: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Share per distinct value of reference and current together (the categorical branch)."""
    cur_values, cur_counts = np.unique(cur, return_counts=True)
    keys = np.union1d(ref_values, cur_values)
    ref = np.zeros(keys.size)
    ref[np.searchsorted(keys, ref_values)] = ref_counts / ref_counts.sum()
    out = np.zeros(keys.size)
    out[np.searchsorted(keys, cur_values)] = cur_counts / cur.size
    return ref, out


def fill_zeroes(p: np.ndarray) -> np.ndarray:
    """Evidently's ``feel_zeroes``: empty bins get min(non-zero)/1e6, or 1e-4 if that is larger."""
    nonzero = p[p != 0]
    if nonzero.size == p.size or nonzero.size == 0:
        return p
    low = float(nonzero.min())
    return np.where(p == 0, low / 10**6 if low <= 0.0001 else 0.0001, p)


def psi(ref: np.ndarray, cur: np.ndarray) -> float:
    """Population stability index over zero-filled shares."""
    ref, cur = fill_zeroes(ref), fill_zeroes(cur)
    return float(np.sum((ref - cur) * np.log(ref / cur)))


def jensenshannon(ref: np.ndarray, cur: np.ndarray) -> float:
    """Jensen-Shannon distance (natural log), as ``scipy.spatial.distance.jensenshannon``."""
    p, q = ref / np.sum(ref), cur / np.sum(cur)
    m = (p + q) / 2.0
    js = np.sum(special.rel_entr(p, m)) + np.sum(special.rel_entr(q, m))
    return float(np.sqrt(js / 2.0))


def _merged_cdfs(values: np.ndarray, cum: np.ndarray, cur: np.ndarray,
                 cdf: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """Merge reference support and current values; return (merged values, F_ref - F_cur).

    At the last element of each run of equal values both CDFs are the ``side="right"`` CDFs
    that scipy evaluates; inside a run the spacing is zero, so integrals are unaffected.

    The merge is a stable argsort of ``values`` then ``cur`` (both sorted: timsort merges the
    two runs in linear time), so a current value goes after the reference values equal to it,
    as ``searchsorted(values, cur, "right")`` would put it. ``cdf`` is ``cum / cum[-1]`` if the
    caller keeps it. Counts are converted to float before dividing: the same
    (double) a / (double) b as numpy's integer true division, bit for bit.
    """
    n_ref = values.size
    both = np.concatenate((values, cur))
    order = both.argsort(kind="stable")
    cur_count = (order >= n_ref).view(np.uint8).cumsum(dtype=np.intp)
    ref_count = np.arange(1, both.size + 1) - cur_count
    ref_cdf = cum[ref_count] / cum[-1] if cdf is None else cdf[ref_count]
    ref_cdf -= cur_count.astype(np.float64) / float(cur.size)
    return both[order], ref_cdf


def wasserstein_norm(values: np.ndarray, cum: np.ndarray, std: float, cur: np.ndarray,
                     cdf: np.ndarray | None = None) -> float:
    """First Wasserstein distance divided by max(std of reference, 0.001)."""
    merged, diff = _merged_cdfs(values, cum, cur, cdf)
    # np.sum, not np.dot: OpenBLAS threads dot products above 10,000 elements, which costs
    # milliseconds of thread hand-off on a busy 2-core worker. merged[1:] - merged[:-1] is
    # np.diff(merged) without its Python overhead; abs and product are done in place.
    terms = np.abs(diff[:-1], out=diff[:-1])
    terms *= merged[1:] - merged[:-1]
    distance = float(np.sum(terms))
    return distance / max(std, 0.001)


def ks_pvalue(values: np.ndarray, cum: np.ndarray, n_ref: int, cur: np.ndarray,
              cdf: np.ndarray | None = None) -> float:
    """Two-sided two-sample KS p-value, as ``scipy.stats.ks_2samp(method="auto")``."""
    merged, diff = _merged_cdfs(values, cum, cur, cdf)
    ends = np.append(np.flatnonzero(merged[1:] != merged[:-1]), merged.size - 1)
    d = float(np.max(np.abs(diff[ends])))
    return _ks_prob(d, n_ref, cur.size)


def _ks_prob(d: float, n1: int, n2: int) -> float:
    """scipy's p-value for statistic ``d``: exact up to 10,000 rows per side, else asymptotic.

    scipy.stats is imported here, not at module level: it takes most of a second to import.
    """
    from scipy import stats

    exact = getattr(stats._stats_py, "_attempt_exact_2kssamp", None)  # private in scipy 1.17
    if max(n1, n2) <= KS_MAX_EXACT_N and exact is not None:
        ok, _, prob = exact(n1, n2, math.gcd(n1, n2), d, "two-sided")
        if ok:
            return float(np.clip(prob, 0, 1))
    m, n = sorted([float(n1), float(n2)], reverse=True)
    return float(np.clip(stats.kstwo.sf(d, np.round(m * n / (m + n))), 0, 1))


def chisquare_pvalue(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    """Pearson chi-square p-value of current counts against reference shares.

    A category absent from the reference gives expected 0 and p = 0; one category gives NaN.
    """
    expected = ref_counts * (cur_counts.sum() / ref_counts.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = float(np.sum((cur_counts - expected) ** 2 / expected))
    return float(special.chdtrc(ref_counts.size - 1, stat))
