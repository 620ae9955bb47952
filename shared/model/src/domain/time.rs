//! The one timestamp format of everything stored, compared and answered.
//!
//! DynamoDB compares strings byte by byte, so every stored time and every time in a condition or a
//! key must have the same fixed width: RFC 3339 in UTC with microseconds and `Z`
//! (`2026-11-23T21:11:24.123456Z`). [`Timestamp`] is the only way a time reaches an item, an
//! expression value or a key, and it always serializes to that form. Reading accepts any RFC 3339
//! time, so items written before this format still parse.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    pub fn now() -> Self {
        Self::from(Utc::now())
    }
    /// The canonical text: fixed width, so string order is time order.
    pub fn canonical(&self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::Micros, true)
    }
    pub fn parse(raw: &str) -> Option<Self> {
        DateTime::parse_from_rfc3339(raw)
            .ok()
            .map(|t| Self::from(t.with_timezone(&Utc)))
    }
    pub fn as_datetime(&self) -> DateTime<Utc> {
        self.0
    }
    /// Epoch seconds (DynamoDB's `ttl`).
    pub fn epoch_seconds(&self) -> i64 {
        self.0.timestamp()
    }
    /// The UTC day it falls on, `YYYY-MM-DD` (string order is day order).
    pub fn day(&self) -> String {
        self.0.format("%Y-%m-%d").to_string()
    }
    /// The first UTC midnight at or after it (itself when it is one): what a time rounded up to
    /// whole days is, so everything expiring "on a day" expires at one instant.
    pub fn ceil_day(&self) -> Timestamp {
        let midnight = self
            .0
            .date_naive()
            .and_time(chrono::NaiveTime::MIN)
            .and_utc();
        match midnight == self.0 {
            true => *self,
            false => Timestamp(midnight + Duration::days(1)),
        }
    }
    pub fn format<'a>(
        &self,
        fmt: &'a str,
    ) -> chrono::format::DelayedFormat<chrono::format::StrftimeItems<'a>> {
        self.0.format(fmt)
    }
}

impl From<DateTime<Utc>> for Timestamp {
    /// Truncated to the microsecond, the precision of the canonical text, so a value read back
    /// equals the value written.
    fn from(t: DateTime<Utc>) -> Self {
        let micros = t.timestamp_micros();
        Self(DateTime::from_timestamp_micros(micros).unwrap_or(t))
    }
}

impl std::ops::Add<Duration> for Timestamp {
    type Output = Timestamp;
    fn add(self, d: Duration) -> Timestamp {
        Timestamp(self.0 + d)
    }
}

impl std::ops::Sub<Duration> for Timestamp {
    type Output = Timestamp;
    fn sub(self, d: Duration) -> Timestamp {
        Timestamp(self.0 - d)
    }
}

impl std::ops::Sub for Timestamp {
    type Output = Duration;
    fn sub(self, other: Timestamp) -> Duration {
        self.0 - other.0
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.canonical())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.canonical())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw)
            .ok_or_else(|| serde::de::Error::custom(format!("not an RFC 3339 time: {raw}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_fixed_width_format_whatever_the_input() {
        for raw in [
            "2026-11-23T10:00:00Z",
            "2026-11-23T10:00:00+00:00",
            "2026-11-23T11:00:00.5+01:00",
            "2026-11-23T10:00:00.123456789Z",
        ] {
            let t = Timestamp::parse(raw).unwrap();
            let text = t.canonical();
            assert_eq!(text.len(), "2026-11-23T10:00:00.000000Z".len(), "{raw}");
            assert!(text.ends_with('Z'));
            assert_eq!(Timestamp::parse(&text), Some(t), "round trip of {raw}");
        }
    }

    #[test]
    fn days_round_up_to_midnight() {
        let t = Timestamp::parse("2026-11-23T10:00:00.5Z").unwrap();
        assert_eq!(t.day(), "2026-11-23");
        let up = t.ceil_day();
        assert_eq!(up.canonical(), "2026-11-24T00:00:00.000000Z");
        assert_eq!(up.ceil_day(), up, "a midnight is its own");
        assert_eq!(up.day(), "2026-11-24");
        let late = Timestamp::parse("2026-12-31T23:59:59.999999Z").unwrap();
        assert_eq!(late.ceil_day().day(), "2027-01-01");
    }

    #[test]
    fn string_order_is_time_order() {
        let a = Timestamp::parse("2026-11-23T10:00:00Z").unwrap();
        let b = a + Duration::milliseconds(500);
        let c = a + Duration::seconds(1);
        assert!(a.canonical() < b.canonical() && b.canonical() < c.canonical());
        // The format chrono's own serde writes breaks this order (`...00Z` > `...00.5Z`).
        assert!(
            a.as_datetime().to_rfc3339_opts(SecondsFormat::AutoSi, true)
                > b.as_datetime().to_rfc3339_opts(SecondsFormat::AutoSi, true)
        );
    }

    #[test]
    fn string_order_is_time_order_for_any_two_instants() {
        let mut cases = crate::testing::Cases::new(3);
        // Instants from 1970 to 2100 with microseconds, some pairs a microsecond apart.
        let span = 130 * 365 * 24 * 3600 * 1_000_000_i64;
        for _ in 0..20_000 {
            let a = (cases.next() % span as u64) as i64;
            let b = if cases.next().is_multiple_of(4) {
                a + (cases.next() % 3) as i64 - 1
            } else {
                (cases.next() % span as u64) as i64
            };
            let at = |us: i64| Timestamp::from(DateTime::from_timestamp_micros(us).unwrap());
            let (ta, tb) = (at(a), at(b));
            assert_eq!(
                a.cmp(&b),
                ta.canonical().cmp(&tb.canonical()),
                "{ta} vs {tb}"
            );
            assert_eq!(Timestamp::parse(&ta.canonical()), Some(ta));
        }
    }

    #[test]
    fn serde_uses_the_canonical_text() {
        let t = Timestamp::parse("2026-11-23T10:00:00+00:00").unwrap();
        assert_eq!(
            serde_json::to_value(t).unwrap(),
            serde_json::json!("2026-11-23T10:00:00.000000Z")
        );
        let av: serde_dynamo::AttributeValue = serde_dynamo::to_attribute_value(t).unwrap();
        assert_eq!(
            av,
            serde_dynamo::AttributeValue::S("2026-11-23T10:00:00.000000Z".into())
        );
    }
}
