//! A zone's progress over the year: its figures at each Solar Hijri month's end, to
//! draw a curve against the expected line.

use saman_domain::Day;
use saman_domain::calendar::SolarHijri;
use saman_domain::values::ZoneCode;

use super::Result;
use super::zones::{not_found, progress_of, snapshot, views};
use crate::readmodel::answers::{Named, Names, ZoneSeries};
use crate::readmodel::sql::Store;

/// See [`ReadModels::zone_series`](crate::readmodel::ReadModels::zone_series).
pub(in crate::readmodel) async fn zone_series(
    store: &impl Store,
    generation: u64,
    zone: &ZoneCode,
    as_of: Day,
) -> Result<ZoneSeries> {
    let s = snapshot(store, generation, zone.as_str(), as_of).await?;
    let row = s.zones.first().ok_or_else(|| not_found(zone))?;
    let points = days(row.registered_day, as_of)
        .into_iter()
        .filter_map(|day| {
            let then = s.until(day);
            let view = views(&then, day).into_iter().next()?;
            Some((day, progress_of(&view.figures, then.programme.as_ref())))
        })
        .collect();
    Ok(ZoneSeries {
        zone: Named {
            code: row.code.clone(),
            name: Names::new(&row.name_fa, &row.name_en),
        },
        points,
    })
}

/// The last day of each Solar Hijri month from `from`'s month to `to`'s, up to `to`,
/// and `to` itself when it is not a month's end (none when `to` is before `from`).
fn days(from: Day, to: Day) -> Vec<Day> {
    let mut days = Vec::new();
    if from > to {
        return days;
    }
    let SolarHijri {
        mut year,
        mut month,
        ..
    } = from.solar_hijri();
    loop {
        let next = if month == 12 {
            (year + 1, 1)
        } else {
            (year, month + 1)
        };
        let end = Day::from_solar_hijri(next.0, next.1, 1)
            .ok()
            .and_then(|first| first.add_days(-1).ok());
        match end {
            Some(end) if end < to => days.push(end),
            _ => {
                days.push(to);
                return days;
            }
        }
        (year, month) = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(s: &str) -> Day {
        Day::parse(s).unwrap()
    }

    #[test]
    fn month_ends_from_the_registration_month_to_the_day() {
        let iso = |days: Vec<Day>| days.iter().map(Day::solar_hijri_string).collect::<Vec<_>>();
        assert_eq!(
            iso(days(sh("1397-01-10"), sh("1397-04-15"))),
            ["1397-01-31", "1397-02-31", "1397-03-31", "1397-04-15"]
        );
        // Esfand 1397 has 29 days; a day that is a month's end is not repeated.
        assert_eq!(
            iso(days(sh("1397-11-30"), sh("1397-12-29"))),
            ["1397-11-30", "1397-12-29"]
        );
        assert_eq!(
            iso(days(sh("1397-12-29"), sh("1398-01-02"))),
            ["1397-12-29", "1398-01-02"]
        );
        assert_eq!(
            iso(days(sh("1397-05-01"), sh("1397-05-01"))),
            ["1397-05-01"]
        );
        assert!(days(sh("1397-05-02"), sh("1397-05-01")).is_empty());
    }
}
