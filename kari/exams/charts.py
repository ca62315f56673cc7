"""The distance histogram of a distribution, as bars for an inline SVG (no JavaScript)."""

from kari.distribution import HISTOGRAM_BUCKETS

ORDER = [label for label, _upper in HISTOGRAM_BUCKETS]
WIDTH = 240  # the bars' room in a 380-unit chart: readable on a phone (issue 19)


def distance_chart(histogram: dict) -> list[dict]:
    """Rows of (label, count, bar width, y) in the bucket order, for the template's SVG."""
    keys = [k for k in ORDER if k in histogram] + sorted(k for k in histogram if k not in ORDER)
    top = max((int(histogram[k]) for k in keys), default=0) or 1
    return [
        {
            "label": k,
            "count": int(histogram[k]),
            "y": 28 * i,
            "width": round(WIDTH * int(histogram[k]) / top),
        }
        for i, k in enumerate(keys)
    ]
