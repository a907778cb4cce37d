"""The approval queue a screenful at a time (issue 21): a clinic with hundreds waiting sent every row, each also an
option of the chooser. One page holds at most 25, in the queue's own order, and the pages together are the queue."""

import pytest

from core import approvals
from core.access import AccessDenied
from tests.core.test_screening_and_approval import NURSE, PRESCRIBER, pending_screening

WAITING = 40


@pytest.fixture
def long_queue(demo_store):
    for number in range(WAITING):
        pending_screening(demo_store, mrn=f"QUEUE-{number:04d}",
                          last_name=f"Queue{chr(65 + number // 26)}{chr(97 + number % 26)}")
    return demo_store


def test_the_pages_together_are_the_queue_in_its_order(long_queue):
    whole = approvals.queue(long_queue, PRESCRIBER)
    assert len(whole) > approvals.QUEUE_PAGE_SIZE
    first = approvals.queue_page(long_queue, PRESCRIBER, page=1)
    assert (first.total, first.urgent, first.pages) == (len(whole), int(whole["urgent"].sum()),
                                                         -(-len(whole) // approvals.QUEUE_PAGE_SIZE))
    pages = [approvals.queue_page(long_queue, PRESCRIBER, page=n).rows for n in range(1, first.pages + 1)]
    assert all(len(rows) <= approvals.QUEUE_PAGE_SIZE for rows in pages)
    together = [tuple(r) for rows in pages for r in rows.itertuples(index=False)]
    assert together == [tuple(r) for r in whole.itertuples(index=False)]


def test_a_page_past_the_end_is_the_last_page_and_a_bad_page_is_refused(long_queue):
    last = approvals.queue_page(long_queue, PRESCRIBER, page=10_000)
    assert last.page == last.pages and 0 < len(last.rows) <= approvals.QUEUE_PAGE_SIZE
    with pytest.raises(ValueError, match="Page"):
        approvals.queue_page(long_queue, PRESCRIBER, page="two")
    with pytest.raises(AccessDenied):
        approvals.queue_page(long_queue, NURSE)
