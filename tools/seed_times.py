"""Dates, times and timestamps for seeding: the edges production data really has.

Naive timestamps include wall-clock times that do not exist (2021-03-28 02:30 in Berlin) or
exist twice (2021-10-31 02:30) in a zone with daylight saving time; aware ones include the
instants around those transitions in several zones, odd offsets (+05:30, +13:45), the epoch
and the 2038 limit of 32-bit time. Random values fall in recent years, in a Zipf-skewed mix of
time zones. `time_range` narrows everything to what a column holds (MySQL TIMESTAMP:
1970-2038).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from random import Random
from typing import Any

from .seed_kinds import MISSING, Kind, split_words, zipf_weights

ZONES = split_words(
    "UTC|Europe/Berlin|America/New_York|Asia/Kolkata|Australia/Lord_Howe|"
    "Pacific/Chatham|America/St_Johns|Asia/Tokyo"
)
_ZONE_WEIGHTS = zipf_weights(len(ZONES))


@dataclass
class Timestamp(Kind):
    """timestamp (naive) or timestamptz (aware); `low`/`high` are naive UTC limits."""

    aware: bool
    low: dt.datetime
    high: dt.datetime

    def _clip(self, values: list[dt.datetime]) -> list[Any]:
        out = []
        for v in values:
            naive = v.astimezone(dt.UTC).replace(tzinfo=None) if v.tzinfo else v
            if self.low <= naive <= self.high:
                out.append(v)
        return out

    def boundaries(self) -> list[Any]:
        utc = dt.UTC
        if not self.aware:
            return self._clip(
                [
                    dt.datetime(1970, 1, 1),
                    dt.datetime(2038, 1, 19, 3, 14, 7),
                    dt.datetime(2021, 3, 28, 2, 30),  # does not exist in Europe/Berlin
                    dt.datetime(2021, 10, 31, 2, 30),  # happens twice in Europe/Berlin
                    dt.datetime(2000, 2, 29, 23, 59, 59, 999999),
                    dt.datetime(1000, 1, 1),
                    dt.datetime(9999, 12, 31, 23, 59, 59),
                ]
            )
        berlin, new_york = _zone("Europe/Berlin"), _zone("America/New_York")
        return self._clip(
            [
                dt.datetime(1970, 1, 1, tzinfo=utc),
                dt.datetime(2038, 1, 19, 3, 14, 7, tzinfo=utc),
                dt.datetime(2021, 3, 28, 1, 59, 59, 999999, tzinfo=berlin),
                dt.datetime(2021, 3, 28, 3, 0, tzinfo=berlin),
                dt.datetime(2021, 10, 31, 2, 30, tzinfo=berlin),
                dt.datetime(2021, 10, 31, 2, 30, fold=1, tzinfo=berlin),
                dt.datetime(2021, 11, 7, 1, 30, fold=1, tzinfo=new_york),
                dt.datetime(2020, 2, 29, 23, 59, 59, tzinfo=_zone("Asia/Kolkata")),
                dt.datetime(2021, 1, 1, tzinfo=_zone("Pacific/Chatham")),
                dt.datetime(1900, 1, 1, tzinfo=utc),
                dt.datetime(2999, 12, 31, 23, 59, 59, 999999, tzinfo=utc),
            ]
        )

    def _span(self) -> tuple[dt.datetime, dt.datetime]:
        lo = max(self.low, dt.datetime(2015, 1, 1))
        hi = min(self.high, dt.datetime(2025, 12, 31))
        return (lo, hi) if lo < hi else (self.low, self.high)

    def random(self, rng: Random) -> dt.datetime:
        lo, hi = self._span()
        seconds = rng.uniform(0, (hi - lo).total_seconds())
        value = lo + dt.timedelta(seconds=int(seconds))
        if rng.random() < 0.5:
            value = value.replace(microsecond=rng.randrange(0, 1000000))
        if not self.aware:
            return value
        zone = _zone(rng.choices(ZONES, cum_weights=_ZONE_WEIGHTS)[0])
        return value.replace(tzinfo=dt.UTC).astimezone(zone)

    def unique(self, index: int, attempt: int, rng: Random) -> Any:
        lo, _ = self._span()
        if attempt == 0:
            value = lo + dt.timedelta(seconds=61 * index, microseconds=index % 1000)
        else:
            value = lo + dt.timedelta(seconds=rng.randint(0, 10**9))
        if value > self.high:
            return MISSING
        return value.replace(tzinfo=dt.UTC) if self.aware else value


@dataclass
class Date(Kind):
    """Leap days, the epoch, 2038, and the years 1000 and 9999 (MySQL's DATE range)."""

    low: dt.date
    high: dt.date

    def boundaries(self) -> list[Any]:
        days = [(1970, 1, 1), (2000, 2, 29), (1999, 12, 31), (2038, 1, 19), (1000, 1, 1)]
        values = [dt.date(*d) for d in [*days, (9999, 12, 31)]]
        return [v for v in values if self.low <= v <= self.high]

    def random(self, rng: Random) -> dt.date:
        return dt.date(2015, 1, 1) + dt.timedelta(days=rng.randint(0, 4000))

    def unique(self, index: int, attempt: int, rng: Random) -> Any:
        offset = index if attempt == 0 else rng.randint(0, 2_000_000)
        value = dt.date(2000, 1, 1) + dt.timedelta(days=offset)
        return value if value <= self.high else MISSING


@dataclass
class Time(Kind):
    """Midnight, the last microsecond of the day, noon; timetz with a UTC or +05:30 offset."""

    aware: bool

    def boundaries(self) -> list[Any]:
        values = [dt.time(0, 0), dt.time(23, 59, 59, 999999), dt.time(12, 0), dt.time(0, 0, 0, 1)]
        if self.aware:
            zones = [dt.UTC, dt.timezone(dt.timedelta(hours=5, minutes=30))]
            return [v.replace(tzinfo=zones[i % 2]) for i, v in enumerate(values)]
        return values

    def random(self, rng: Random) -> dt.time:
        value = dt.time(rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59))
        return value.replace(tzinfo=dt.UTC) if self.aware else value

    def unique(self, index: int, attempt: int, rng: Random) -> Any:
        seconds = index if attempt == 0 else rng.randint(0, 86399)
        if seconds >= 86400:
            return MISSING
        value = dt.time(seconds // 3600, seconds // 60 % 60, seconds % 60)
        return value.replace(tzinfo=dt.UTC) if self.aware else value


def _zone(name: str) -> dt.tzinfo:
    """The zone, or UTC where the system has no time zone database (still deterministic)."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC
