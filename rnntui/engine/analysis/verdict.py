"""The verdict: what a run's own measurements say about it, in plain sentences with numbers.

A pure function of a :class:`~rnntui.engine.record.RunRecord`, so the lab's Why
tab can recompute it as the run trains and the headless summary prints the
same words at the end. Every sentence reads the record, never the model: the
outcome against the task's success criterion and memoryless baseline, how a
divergence built up, how much of the gradient reaches t = 1 (at the first and
the latest probe), the LSTM's cell-state path, clipping activity and the
recurrent spectral radius. A gradient of exactly 0 is called exactly 0, and a
NaN is called not finite: neither becomes a ratio.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np

from ..events import ProbeResult
from ..record import RunRecord

# Validation loss within these fractions of the baseline counts as "at the baseline".
BASELINE_BAND = (0.9, 1.05)
# g(t = 1) / g(t = T): below FAINT nothing is learned from t = 1, below WEAK little is; above STRONG it explodes.
FAINT, WEAK, STRONG = 1e-4, 1e-2, 10.0
# A gradient-norm growth worth a sentence in a run that did not diverge.
NOTABLE_GROWTH = 1e3
# The cell-state path is worth naming when it keeps this many times more of the gradient than h_t.
CARRIES_MORE = 10.0
SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
STEP_COLUMNS = ("step", "grad_norm", "clipped_norm")
Columns = Mapping[str, np.ndarray]   # anything that gives these columns by name


def verdict(record: RunRecord, columns: Columns | None = None) -> list[str]:
    """Sentences that interpret the run so far; empty before its first step.

    ``columns`` are the record's per-step numbers as arrays (``step``, ``grad_norm``,
    ``clipped_norm``), for a front end that keeps them up to date as the run grows
    (the lab's plots do); without them they are built from ``record.steps``.
    """
    columns = columns if columns is not None else step_columns(record)
    if not len(columns["step"]):
        return [_capitalized(_divergence(record, columns))] if record.status == "diverged" else []
    sentences = [*_outcome(record, columns), *_gradient_growth(record, columns), *_profile(record),
                 *_memory_path(record), *_clipping(record, columns), *_spectral_radius(record)]
    return [_capitalized(sentence) for sentence in sentences]


def step_columns(record: RunRecord) -> dict[str, np.ndarray]:
    """The per-step numbers the verdict reads, one array each."""
    rows = record.steps[:]
    return {name: np.array([getattr(row, name) for row in rows], dtype=float) for name in STEP_COLUMNS}


def _capitalized(sentence: str) -> str:
    """``solved at …`` -> ``Solved at …``; ``ρ(W_hh) …`` stays (an upper-case rho is another letter)."""
    return sentence[0].upper() + sentence[1:] if sentence[:1].isascii() else sentence


# -- numbers in words ------------------------------------------------------------


def number(value: float, digits: int = 3) -> str:
    """``digits`` significant digits in the usual range, ``3e-8`` / ``4.2e12`` outside it."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == 0:
        return "0"
    if 1e-3 <= abs(value) < 1e4:
        return f"{value:.{digits}g}"
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"{mantissa.removesuffix('.0')}e{int(exponent)}"


def grouped(count: int) -> str:
    """``3150`` -> ``3,150``."""
    return f"{int(count):,}"


def times(factor: float) -> str:
    """A growth factor: ``10¹³×`` from a thousand up, ``37×`` below."""
    if factor >= NOTABLE_GROWTH and math.isfinite(factor):
        return "10" + str(math.floor(math.log10(factor))).translate(SUPERSCRIPT) + "×"
    return f"{number(factor)}×"


def percent(part: int, whole: int) -> str:
    value = 100 * part / whole
    if 0 < value < 1:
        return f"{value:.1f} %"
    text = f"{value:.0f}"
    return f"{'> 99' if text == '100' and part < whole else text} %"


# -- outcome -----------------------------------------------------------------------


def _outcome(record: RunRecord, columns: Columns) -> list[str]:
    sentences = []
    if record.status == "diverged":
        sentences.append(_divergence(record, columns))
    if record.success_rule and record.evaluations:
        sentences.append(_success(record))
    elif record.evaluations and record.baseline is None:
        latest = record.evaluations[-1]
        value = latest.metrics.get(record.metric_name)
        if value is not None:
            sentences.append(f"validation {record.metric_name} is {number(value)} at step {grouped(latest.step)}")
    if record.baseline is not None and record.evaluations:
        sentences.append(_against_baseline(record, record.baseline))
    return sentences


def _divergence(record: RunRecord, columns: Columns) -> str:
    at = record.finished_step or record.last_step
    head = f"diverged at step {grouped(at)}"
    step, norm = columns["step"], columns["grad_norm"]
    if not len(step):
        return f"{head}: the loss or the gradient was not finite on the first step"
    first, last = float(norm[0]), float(norm[-1])
    span = int(step[-1] - step[0])
    if not span:
        return f"{head}, one step after a gradient norm of {number(last)}"
    if first == 0:
        return f"{head} after the gradient norm grew from exactly 0 to {number(last)} in {grouped(span)} steps"
    growth = last / first
    if growth >= 10:
        return (f"{head} after the gradient norm grew {times(growth)} in {grouped(span)} steps "
                f"({number(first)} → {number(last)})")
    return (f"{head}: the loss overflowed while the gradient norm stayed near {number(last)} "
            f"(it was {number(first)} at step {grouped(int(step[0]))})")


def _success(record: RunRecord) -> str:
    rule, name = record.success_rule, record.metric_name
    solved = next((e for e in record.evaluations if e.success), None)
    latest = record.evaluations[-1]
    if solved is not None:
        sentence = f"solved at step {grouped(solved.step)} ({rule})"
        if not latest.success:
            value = latest.metrics.get(name, math.nan)
            sentence += f", but at step {grouped(latest.step)} {name} is {number(value)} and no longer meets it"
        return sentence
    scored = [e for e in record.evaluations if name in e.metrics and not math.isnan(e.metrics[name])]
    if not scored:
        return f"not solved: no finite validation {name} yet (solving needs {rule})"
    pick = max if record.metric_goal == "max" else min
    best = pick(scored, key=lambda e: e.metrics[name])
    where = f"the best validation {name} is {number(best.metrics[name])} (step {grouped(best.step)})"
    if record.ended:
        return f"not solved in {grouped(record.finished_step or record.last_step)} steps: {where}; solving needs {rule}"
    return f"not solved yet: {where}; solving needs {rule}"


def _against_baseline(record: RunRecord, baseline: float) -> str:
    latest = record.evaluations[-1]
    loss, at = latest.val_loss, f"at step {grouped(latest.step)}"
    reference = f"the baseline {number(baseline)} (a predictor without memory)"
    if not math.isfinite(loss) or baseline <= 0:
        return f"the validation loss is {number(loss)} {at}; {reference}"
    low, high = BASELINE_BAND
    ratio = loss / baseline
    if ratio > high:
        return f"the validation loss {number(loss)} {at} is worse than {reference}"
    if ratio >= low:
        return f"the validation loss {number(loss)} {at} is still at {reference}"
    left = next(e for e in record.evaluations if math.isfinite(e.val_loss) and e.val_loss < low * baseline)
    share = f"{100 * ratio:.0f} %" if ratio >= 0.01 else number(ratio)
    return (f"the validation loss left {reference} at step {grouped(left.step)}; "
            f"{at} it is {number(loss)}, {share} of it")


def _gradient_growth(record: RunRecord, columns: Columns) -> list[str]:
    """How far the gradient norm rose from its first value (a divergence tells it in its own sentence)."""
    step, norm = columns["step"], columns["grad_norm"]
    if record.status == "diverged" or len(norm) < 2 or not norm[0] > 0:
        return []
    finite = np.where(np.isfinite(norm), norm, -np.inf)
    peak = int(np.argmax(finite))
    growth = float(finite[peak] / norm[0])
    if growth >= NOTABLE_GROWTH:
        return [f"the gradient norm reached {number(float(norm[peak]))} at step {grouped(int(step[peak]))}, "
                f"{times(growth)} its value at step {grouped(int(step[0]))}"]
    return []


# -- gradients through time ---------------------------------------------------------


def _finite_profile(profile: Sequence[float]) -> bool:
    return all(math.isfinite(value) for value in profile)


def _reaching(profile: Sequence[float]) -> tuple[float | None, str]:
    """g(t = 1) relative to g(t = T) (or to the peak where g(T) is exactly 0), and the reference's name."""
    last = profile[-1]
    if last > 0:
        return profile[0] / last, "t = T"
    peak = max(profile)
    if peak > 0:
        return profile[0] / peak, f"its peak at t = {profile.index(peak) + 1}"
    return None, ""


def _reach_clause(probe: ProbeResult) -> str:
    """The t = 1 gradient against t = T at one probe."""
    profile = probe.grad_per_timestep
    at = f"at step {grouped(probe.step)}"
    if not _finite_profile(profile):
        bad = sum(not math.isfinite(value) for value in profile)
        return f"{at} ‖∂L/∂h_t‖ is not finite at {bad} of {len(profile)} timesteps"
    ratio, reference = _reaching(profile)
    if ratio is None:
        return f"{at} no gradient reaches any h_t: ‖∂L/∂h_t‖ is exactly 0 at every t"
    if ratio == 0:
        return f"{at} the gradient reaching t = 1 is exactly 0 (against {number(max(profile))} at {reference})"
    return f"{at} the gradient reaching t = 1 is {number(ratio, 2)} of that at {reference}"


def _reach_then_and_now(first: ProbeResult, latest: ProbeResult) -> str:
    """Both probes in one clause when they compare alike (two nonzero ratios to the same reference)."""
    if _finite_profile(first.grad_per_timestep) and _finite_profile(latest.grad_per_timestep):
        (then, reference), (now, now_reference) = _reaching(first.grad_per_timestep), _reaching(latest.grad_per_timestep)
        if then and now and reference == now_reference:
            return (f"the gradient reaching t = 1 is {number(then, 2)} of that at {reference} at step "
                    f"{grouped(first.step)}, {number(now, 2)} at step {grouped(latest.step)}")
    return f"{_reach_clause(first)}; {_reach_clause(latest)}"


def _meaning(probe: ProbeResult) -> str:
    profile = probe.grad_per_timestep
    if not _finite_profile(profile):
        return "the gradient overflowed"
    ratio, _ = _reaching(profile)
    if ratio is None:
        return "nothing can be learned from the inputs"
    back = (" (already below 1 % of its peak one step back)" if probe.reach == 0 else
            f" (it stays above 1 % of its peak for only {probe.reach} step{'s' if probe.reach > 1 else ''} back)")
    if ratio < FAINT:
        return f"a vanishing gradient, the input at t = 1 can't be learned from{back}"
    if ratio < WEAK:
        return f"a vanishing gradient, the input at t = 1 gets only a faint learning signal{back}"
    if ratio > STRONG:
        return "an exploding gradient, it grows towards early timesteps"
    return "the gradient still reaches t = 1"


def _profile(record: RunRecord) -> list[str]:
    probes = [p for p in record.probes if len(p.grad_per_timestep) >= 2]
    if not probes:
        return []
    first, latest = probes[0], probes[-1]
    clause = _reach_clause(first) if latest is first else _reach_then_and_now(first, latest)
    if record.output_at == "all" and _finite_profile(latest.grad_per_timestep):
        return [f"{clause} (every step has an output, so ‖∂L/∂h_t‖ adds up the losses from t on: "
                "its slope alone does not show vanishing or exploding)"]
    return [f"{clause}: {_meaning(latest)}"]


def _memory_path(record: RunRecord) -> list[str]:
    """The LSTM's cell state against its hidden state, at the latest probe."""
    latest = next((p for p in reversed(record.probes) if len(p.cell_grad_per_timestep) >= 2), None)
    if latest is None:
        return []
    cells, hidden = latest.cell_grad_per_timestep, latest.grad_per_timestep
    if not (_finite_profile(cells) and _finite_profile(hidden)):
        return []
    through_c, _ = _reaching(cells)
    through_h, _ = _reaching(hidden)
    at = f"at step {grouped(latest.step)}"
    if through_c is None:
        return [f"{at} no gradient flows through the cell state: ‖∂L/∂c_t‖ is exactly 0 at every t"]
    c_text = "exactly 0" if through_c == 0 else f"{number(through_c, 2)} of ‖∂L/∂c_T‖"
    h_text = "no gradient" if through_h is None else ("exactly 0" if through_h == 0 else number(through_h, 2))
    head = f"{at} ‖∂L/∂c_1‖ is {c_text} (through h_t: {h_text})"
    if record.output_at == "all":   # every step's loss feeds both: the ratios are not a memory test
        return [head]
    if through_c < WEAK:
        return [f"{head}: the cell state does not carry the gradient to t = 1 either"]
    if through_h and through_c / through_h >= CARRIES_MORE:
        return [f"{head}: the cell state carries {times(through_c / through_h)} more of it back than h_t"]
    return [f"{head}: the cell state carries the gradient back"]


# -- clipping and the recurrent matrix ---------------------------------------------


def _clipping(record: RunRecord, columns: Columns) -> list[str]:
    config = record.config
    step, norm = columns["step"], columns["grad_norm"]
    if config.clip == "none" or not len(step):
        return []
    clipped = np.flatnonzero(columns["clipped_norm"] < norm * (1 - 1e-6))
    total = len(step)
    largest = float(np.max(norm))
    setting = f"{config.clip.replace('_', ' ')} clipping at {number(config.clip_threshold)}"
    if not len(clipped):
        return [f"{setting} never changed the gradient in {grouped(total)} steps (largest norm {number(largest)})"]
    return [f"{setting} was active on {percent(len(clipped), total)} of steps ({grouped(len(clipped))} of "
            f"{grouped(total)}, the latest at step {grouped(int(step[clipped[-1]]))}); the largest norm before "
            f"clipping was {number(largest)}"]


def _spectral_radius(record: RunRecord) -> list[str]:
    probes = [p for p in record.probes if p.spectral_radius]
    if not probes:
        return []
    sentences = []
    layers = len(probes[0].spectral_radius)
    for layer in range(layers):
        name = "ρ(W_hh)" if layers == 1 else f"ρ(W_hh) of layer {layer + 1}"
        series = [(p.step, p.spectral_radius[layer]) for p in probes if len(p.spectral_radius) > layer]
        sentences.append(_radius_story(name, series))
    return sentences


def _radius_story(name: str, series: list[tuple[int, float]]) -> str:
    (first_step, first), (last_step, last) = series[0], series[-1]
    broken = next(((s, r) for s, r in series if not math.isfinite(r)), None)
    if broken is not None:
        return f"{name} is not finite at step {grouped(broken[0])}"
    crossings = [(a, b) for a, b in zip(series, series[1:]) if (a[1] < 1) != (b[1] < 1)]
    if not crossings:
        side = "below" if last < 1 else "at or above"
        span = (f"{number(first)} at step {grouped(first_step)}, {number(last)} at step {grouped(last_step)}"
                if last_step != first_step else f"{number(first)} at step {grouped(first_step)}")
        return f"{name} stayed {side} 1: {span}"
    (before_step, before), (after_step, after) = crossings[0]
    sentence = (f"{name} crossed 1 between steps {grouped(before_step)} and {grouped(after_step)} "
                f"({number(before)} → {number(after)})")
    if len(crossings) > 1:
        sentence += f"; it crossed 1 {len(crossings)} times in all"
    if last_step != after_step:
        sentence += f"; {number(last)} at step {grouped(last_step)}"
    return sentence
