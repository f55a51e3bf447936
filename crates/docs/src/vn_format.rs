//! Vietnamese formats of dates and numbers used in state documents.

use time::Date;

/// The date line of Decree 30/2020: "Đắk Lắk, ngày 05 tháng 02 năm 2026". Days below 10
/// and the months January and February take a leading zero; other months do not.
pub fn date_line(place: &str, d: Date) -> String {
    let m = u8::from(d.month());
    let month = if m <= 2 {
        format!("{m:02}")
    } else {
        m.to_string()
    };
    format!(
        "{place}, ngày {:02} tháng {month} năm {}",
        d.day(),
        d.year()
    )
}

/// A count with Vietnamese digit grouping: 1.250.000.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(ch);
    }
    out
}

/// dd/mm/yyyy, the short date form used inside tables.
pub fn short_date(d: Date) -> String {
    format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Month;

    #[test]
    fn date_line_pads_days_and_the_first_two_months_only() {
        let d = Date::from_calendar_date(2026, Month::February, 5).unwrap();
        assert_eq!(
            date_line("Đắk Lắk", d),
            "Đắk Lắk, ngày 05 tháng 02 năm 2026"
        );
        let d = Date::from_calendar_date(2026, Month::November, 22).unwrap();
        assert_eq!(
            date_line("Đắk Lắk", d),
            "Đắk Lắk, ngày 22 tháng 11 năm 2026"
        );
        let d = Date::from_calendar_date(2026, Month::March, 1).unwrap();
        assert_eq!(
            date_line("Buôn Ma Thuột", d),
            "Buôn Ma Thuột, ngày 01 tháng 3 năm 2026"
        );
        assert_eq!(short_date(d), "01/03/2026");
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_250_000), "1.250.000");
    }
}
