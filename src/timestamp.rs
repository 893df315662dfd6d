//! Points in time as keyseal stores them, and the clock a verifier reads.

use core::fmt;
use core::time::Duration;

/// How far apart two clocks may be by default: the leeway a verifier gives a key's expiry
/// and not-before, and a revocation list's issue time (60 s).
pub(crate) const DEFAULT_CLOCK_LEEWAY: Duration = Duration::from_secs(60);

/// A point in time: whole seconds since the Unix epoch, UTC.
///
/// keyseal only stores and accepts times from `1970-01-01T00:00:01Z` to
/// `9999-12-31T23:59:59Z` inclusive ([`Timestamp::MIN`]..=[`Timestamp::MAX`]), so every
/// timestamp converts to a calendar date and arithmetic on it cannot overflow.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(u64);

impl Timestamp {
    /// The earliest accepted time, `1970-01-01T00:00:01Z`.
    pub const MIN: Timestamp = Timestamp(1);
    /// The latest accepted time, `9999-12-31T23:59:59Z`.
    pub const MAX: Timestamp = Timestamp(253_402_300_799);

    /// The timestamp `secs` seconds after the Unix epoch, or `None` when it is outside
    /// [`Timestamp::MIN`]..=[`Timestamp::MAX`].
    #[must_use]
    pub const fn from_unix(secs: u64) -> Option<Timestamp> {
        if secs >= Self::MIN.0 && secs <= Self::MAX.0 {
            Some(Timestamp(secs))
        } else {
            None
        }
    }

    /// Seconds since the Unix epoch.
    #[must_use]
    pub const fn as_unix(self) -> u64 {
        self.0
    }

    /// The current time from the system clock.
    #[cfg(feature = "std")]
    #[must_use]
    pub fn now() -> Timestamp {
        SystemClock.now()
    }

    /// This time plus `d` (whole seconds; sub-second parts are dropped), or `None` past
    /// [`Timestamp::MAX`].
    #[must_use]
    pub fn checked_add(self, d: Duration) -> Option<Timestamp> {
        Self::from_unix(self.0.checked_add(d.as_secs())?)
    }

    /// This time minus `d` (whole seconds), or `None` before [`Timestamp::MIN`].
    #[must_use]
    pub fn checked_sub(self, d: Duration) -> Option<Timestamp> {
        Self::from_unix(self.0.checked_sub(d.as_secs())?)
    }

    /// This time plus `d`, clamped to [`Timestamp::MAX`].
    #[must_use]
    pub fn saturating_add(self, d: Duration) -> Timestamp {
        Timestamp(self.0.saturating_add(d.as_secs()).min(Self::MAX.0))
    }

    /// This time minus `d`, clamped to [`Timestamp::MIN`].
    #[must_use]
    pub fn saturating_sub(self, d: Duration) -> Timestamp {
        Timestamp(self.0.saturating_sub(d.as_secs()).max(Self::MIN.0))
    }

    /// How long after `earlier` this time is; zero if it is not after it.
    #[must_use]
    pub fn duration_since(self, earlier: Timestamp) -> Duration {
        Duration::from_secs(self.0.saturating_sub(earlier.0))
    }

    /// The same instant as a [`time::OffsetDateTime`] in UTC.
    #[must_use]
    pub fn to_offset_date_time(self) -> time::OffsetDateTime {
        // In range by construction; the fallback is unreachable but keeps this panic-free.
        i64::try_from(self.0)
            .ok()
            .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
    }

    /// Converts a [`time::OffsetDateTime`], dropping sub-second parts; `None` outside the
    /// accepted range.
    #[must_use]
    pub fn from_offset_date_time(t: time::OffsetDateTime) -> Option<Timestamp> {
        u64::try_from(t.unix_timestamp())
            .ok()
            .and_then(Self::from_unix)
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({self})")
    }
}

/// RFC 3339 in UTC with whole seconds, for example `2026-11-26T06:07:10Z`.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.to_offset_date_time();
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }
}

/// Parses `YYYY-MM-DDTHH:MM:SSZ` (RFC 3339, UTC, whole seconds) within the range of
/// [`Timestamp`].
pub(crate) fn parse_utc(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    if b.len() != 20 {
        return None;
    }
    for (i, &c) in b.iter().enumerate() {
        let ok = match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 | 16 => c == b':',
            19 => c == b'Z',
            _ => c.is_ascii_digit(),
        };
        if !ok {
            return None;
        }
    }
    let num = |r: core::ops::Range<usize>| s.get(r)?.parse::<u16>().ok();
    let date = time::Date::from_calendar_date(
        i32::from(num(0..4)?),
        time::Month::try_from(u8::try_from(num(5..7)?).ok()?).ok()?,
        u8::try_from(num(8..10)?).ok()?,
    )
    .ok()?;
    let clock = time::Time::from_hms(
        u8::try_from(num(11..13)?).ok()?,
        u8::try_from(num(14..16)?).ok()?,
        u8::try_from(num(17..19)?).ok()?,
    )
    .ok()?;
    Timestamp::from_offset_date_time(time::PrimitiveDateTime::new(date, clock).assume_utc())
}

/// Where a verifier or issuer reads the current time.
///
/// Inject your own for tests, or for platforms without a system clock (`no_std`, some wasm
/// runtimes). It must be cheap: a verifier reads it once per verification.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The operating system's wall clock.
#[cfg(feature = "std")]
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

#[cfg(feature = "std")]
impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Timestamp(secs.clamp(Timestamp::MIN.0, Timestamp::MAX.0))
    }
}

/// A clock that always reads the same time: for tests, replays and vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedClock(pub Timestamp);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn range_and_display() {
        assert_eq!(Timestamp::from_unix(0), None);
        assert_eq!(Timestamp::from_unix(253_402_300_800), None);
        assert_eq!(Timestamp::MAX.to_string(), "9999-12-31T23:59:59Z");
        assert_eq!(Timestamp::MIN.to_string(), "1970-01-01T00:00:01Z");
        let t = Timestamp::from_unix(1_795_000_000).unwrap();
        assert_eq!(t.to_string(), "2026-11-18T11:06:40Z");
        assert_eq!(
            Timestamp::from_offset_date_time(t.to_offset_date_time()),
            Some(t)
        );
        assert_eq!(Timestamp::MAX.checked_add(Duration::from_secs(1)), None);
        assert_eq!(
            Timestamp::MAX.saturating_add(Duration::from_secs(9)),
            Timestamp::MAX
        );
        assert_eq!(
            Timestamp::MIN.saturating_sub(Duration::from_secs(9)),
            Timestamp::MIN
        );
    }

    #[test]
    fn utc_times() {
        let t = |s| parse_utc(s).map(Timestamp::as_unix);
        assert_eq!(t("1970-01-01T00:00:01Z"), Some(1));
        assert_eq!(t("2026-11-18T11:06:40Z"), Some(1_795_000_000));
        assert_eq!(t("9999-12-31T23:59:59Z"), Some(Timestamp::MAX.as_unix()));
        assert_eq!(t("2024-02-29T00:00:00Z"), Some(1_709_164_800));
        for bad in [
            "1970-01-01T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-00-01T00:00:00Z",
            "2026-01-32T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:60:00Z",
            "2026-01-01T00:00:60Z",
            "2026-01-01t00:00:00Z",
            "2026-01-01T00:00:00z",
            "2026-01-01T00:00:00+00:00",
            "2026-01-01T00:00:00.5Z",
            "2026-01-01 00:00:00Z",
            "+026-01-01T00:00:00Z",
            "２026-01-01T00:00:00Z",
            "",
        ] {
            assert_eq!(t(bad), None, "{bad}");
        }
    }

    #[test]
    fn times_roundtrip_through_display() {
        for secs in [
            1,
            86_399,
            951_782_400,
            1_795_000_000,
            Timestamp::MAX.as_unix(),
        ] {
            let ts = Timestamp::from_unix(secs).unwrap();
            assert_eq!(parse_utc(&ts.to_string()), Some(ts));
        }
    }

    #[test]
    fn from_str_reports_an_error() {
        assert_eq!(
            "2026-01-01T00:00:00Z"
                .parse::<Timestamp>()
                .map(Timestamp::as_unix),
            Ok(1_767_225_600)
        );
        assert_eq!(
            "2026-01-01".parse::<Timestamp>(),
            Err(Error::InvalidTimestamp)
        );
    }
}
