"""The demo data set includes a few segments, each selecting some of the demo customers."""

from kesheng.customers.models import Segment
from kesheng.customers.queries import count_segment_members
from kesheng.demo.actions import DEMO_SEGMENTS, load_demo_data


def test_demo_segments_are_created_once_and_select_customers(db):
    summary = load_demo_data(customer_count=300, seed=3)
    assert summary.segments_created == len(DEMO_SEGMENTS) == 5
    counts = {segment.name: count_segment_members(segment) for segment in Segment.objects.all()}
    assert set(counts) == {name for name, _description, _rules in DEMO_SEGMENTS}
    assert all(0 < count < 300 for count in counts.values()), counts
    assert load_demo_data(customer_count=300, seed=3).segments_created == 0
    assert Segment.objects.count() == 5
