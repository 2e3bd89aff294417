"""leadtune's binning rules in plain Python (src/traits/binning.rs, src/stats.rs), for the polars
contender: the data work (sorting, counting, WoE columns) is done by polars and numpy, and only
these small tables (at most 20 pre-bins per trait) go through Python loops.

- Categorical: a bin per value held by at least ceil(min_bin_share * n) training leads (by
  leads, then name), the rest pooled in `other`, missing its own bin.
- Numeric: 20 quantile pre-bins (cut points at the values of rank n*k/20, deduplicated), merged
  by an exact dynamic programme that maximises IV with at most max_bins bins of at least
  min_bin_share each and the conversion rate ascending, descending, or (when clearly better)
  with one peak or valley; missing its own bin.
- WoE = ln(((wins + 0.5) / (W + 0.5 k)) / ((losses + 0.5) / (L + 0.5 k))), k = non-empty bins:
  wins in the numerator (positive = converts better), empty bins 0.
"""

import math

SMOOTHING = 0.5
NEG = float("-inf")


def shares(wins, losses, w_total, l_total, k):
    sk = SMOOTHING * k
    return (wins + SMOOTHING) / (w_total + sk), (losses + SMOOTHING) / (l_total + sk)


def woe(wins, losses, w_total, l_total, k):
    ws, ls = shares(wins, losses, w_total, l_total, k)
    return math.log(ws / ls)


def iv_term(wins, losses, w_total, l_total, k):
    ws, ls = shares(wins, losses, w_total, l_total, k)
    return (ws - ls) * math.log(ws / ls)


def finish(bins, totals):
    """bins: list of (rule, leads, wins) -> list of (rule, woe) and the trait's IV."""
    n, wins = totals
    w_total, l_total = wins, n - wins
    k = sum(1 for _, leads, _ in bins if leads > 0)
    out, iv = [], 0.0
    for rule, leads, w in bins:
        if leads == 0:
            out.append((rule, 0.0))
            continue
        out.append((rule, woe(w, leads - w, w_total, l_total, k)))
        iv += iv_term(w, leads - w, w_total, l_total, k)
    return out, iv


def categorical(counts, missing, totals, min_bin_share):
    """counts: {value: (leads, wins)} over the training leads (missing apart)."""
    n = totals[0]
    min_leads = max(math.ceil(min_bin_share * n), 1)
    ordered = sorted(((v, c) for v, c in counts.items() if c[0] > 0),
                     key=lambda vc: (-vc[1][0], vc[0]))
    bins, other = [], [0, 0]
    for value, (leads, wins) in ordered:
        if leads >= min_leads:
            bins.append((("value", value), leads, wins))
        else:
            other[0] += leads
            other[1] += wins
    bins.append((("other",), other[0], other[1]))
    bins.append((("missing",), missing[0], missing[1]))
    return finish(bins, totals)


def prebins(sorted_values, won_cumsum, q):
    """Quantile pre-bins over sorted values: [(hi, leads, wins)], as leadtune's `prebin`.
    `won_cumsum[i]` is the number of wins among sorted_values[:i + 1]."""
    import numpy as np

    n = len(sorted_values)
    if n == 0:
        return []
    ranks = [max(n * k // q - 1, 0) for k in range(1, q)] + [n - 1]
    cuts = []
    for r in ranks:
        v = float(sorted_values[min(r, n - 1)])
        if not cuts or cuts[-1] != v:
            cuts.append(v)
    # Values <= cut go into that pre-bin: the end of each pre-bin is searchsorted(right).
    ends = np.searchsorted(sorted_values, np.asarray(cuts), side="right")
    out, start, won_before = [], 0, 0
    for hi, end in zip(cuts, ends):
        end = int(end)
        if end > start:
            wins = int(won_cumsum[end - 1]) - won_before
            out.append((hi, end - start, wins))
            won_before += wins
            start = end
    return out


def step(trend, r1, r2, p):
    if trend == "ascending":
        return 0 if r2 >= r1 else None
    if trend == "descending":
        return 0 if r2 <= r1 else None
    if trend == "peak":
        if p == 0:
            return 0 if r2 >= r1 else 1
        return 1 if r2 <= r1 else None
    if trend == "valley":
        if p == 0:
            return 0 if r2 <= r1 else 1
        return 1 if r2 >= r1 else None
    return 0


def best_partition(pre, totals, min_leads, max_bins, trend):
    """Exact DP over contiguous partitions of the pre-bins (leadtune's `best_partition`)."""
    n = len(pre)
    if n == 0:
        return []
    w_total, l_total = totals[1], totals[0] - totals[1]
    leads_p = [0] * (n + 1)
    wins_p = [0] * (n + 1)
    for i, (_, leads, wins) in enumerate(pre):
        leads_p[i + 1] = leads_p[i] + leads
        wins_p[i + 1] = wins_p[i] + wins
    # Per group s..e: leads, rate and IV (k = n pre-bins, so the objective is additive).
    g_leads = [[0] * n for _ in range(n)]
    g_rate = [[0.0] * n for _ in range(n)]
    g_iv = [[0.0] * n for _ in range(n)]
    for s in range(n):
        for e in range(s, n):
            leads = leads_p[e + 1] - leads_p[s]
            wins = wins_p[e + 1] - wins_p[s]
            g_leads[s][e] = leads
            g_rate[s][e] = wins / leads if leads else 0.0
            g_iv[s][e] = iv_term(wins, leads - wins, w_total, l_total, n)
    max_bins = max(max_bins, 1)
    # best[m][p][s][e], from[m][p][s][e] = (previous start, previous phase)
    best = [[[[NEG] * n for _ in range(n)] for _ in range(2)] for _ in range(max_bins + 1)]
    frm = [[[[None] * n for _ in range(n)] for _ in range(2)] for _ in range(max_bins + 1)]
    for e in range(n):
        if g_leads[0][e] >= min_leads:
            best[1][0][0][e] = g_iv[0][e]
    for e in range(n):
        for s in range(1, e + 1):
            if g_leads[s][e] < min_leads:
                continue
            rate, iv = g_rate[s][e], g_iv[s][e]
            for m in range(2, max_bins + 1):
                prev_m = best[m - 1]
                cur = best[m]
                for ps in range(s):
                    prev_rate = g_rate[ps][s - 1]
                    for pp in (0, 1):
                        before = prev_m[pp][ps][s - 1]
                        if before == NEG:
                            continue
                        phase = step(trend, prev_rate, rate, pp)
                        if phase is None:
                            continue
                        if before + iv > cur[phase][s][e]:
                            cur[phase][s][e] = before + iv
                            frm[m][phase][s][e] = (ps, pp)
    top = None
    for s in range(n):
        for m in range(1, max_bins + 1):
            for p in (0, 1):
                v = best[m][p][s][n - 1]
                if v > NEG and (top is None or v > top[0] + 1e-12):
                    top = (v, s, m, p)
    if top is None:
        return [(0, n - 1)]
    _, s, m, p = top
    e = n - 1
    groups = [(s, e)]
    while m > 1:
        prev = frm[m][p][s][e]
        if prev is None:
            break
        e = s - 1
        s, p = prev
        m -= 1
        groups.append((s, e))
    groups.reverse()
    return groups


def partition_iv(pre, groups, totals):
    w_total, l_total = totals[1], totals[0] - totals[1]
    iv = 0.0
    for s, e in groups:
        leads = sum(p[1] for p in pre[s:e + 1])
        wins = sum(p[2] for p in pre[s:e + 1])
        iv += iv_term(wins, leads - wins, w_total, l_total, len(pre))
    return iv


def numeric(pre, missing, totals, min_bin_share, max_bins):
    """pre: pre-bins from `prebins`; missing: (leads, wins). Returns ([(rule, woe)], IV, trend);
    a range rule is ("range", hi) meaning previous hi < x <= hi (the last one open)."""
    min_leads = max(math.ceil(min_bin_share * totals[0]), 1)

    def solve(trend):
        g = best_partition(pre, totals, min_leads, max_bins, trend)
        return g, trend, partition_iv(pre, g, totals)

    def better(a, b):  # Rust's max_by keeps the last of equal maxima
        return b if b[2] >= a[2] else a

    mono = better(solve("ascending"), solve("descending"))
    turn = better(solve("peak"), solve("valley"))
    groups, trend, _ = turn if turn[2] > mono[2] * 1.1 + 0.005 else mono
    bins = []
    for g, (s, e) in enumerate(groups):
        leads = sum(p[1] for p in pre[s:e + 1])
        wins = sum(p[2] for p in pre[s:e + 1])
        hi = pre[e][0] if g + 1 < len(groups) else math.inf
        bins.append((("range", hi), leads, wins))
    if not bins:
        bins.append((("range", math.inf), 0, 0))
    bins.append((("missing",), missing[0], missing[1]))
    out, iv = finish(bins, totals)
    return out, iv, trend
