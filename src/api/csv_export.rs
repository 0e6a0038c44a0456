//! CSV the API writes: one writer for every export, so that every cell of
//! user- or node-supplied text is neutralised against formula injection and
//! quoted by RFC 4180 in one place.
//!
//! Quoting is the `csv` crate's, not hand-written: it quotes exactly the
//! fields that need it (separator, quote, CR, LF) and doubles inner quotes,
//! which a hand-written check gets subtly wrong (e.g. forgetting CR).

use std::borrow::Cow;

use crate::error::ApiError;

/// One cell of an exported row.
pub enum Cell<'a> {
    /// Text from outside (names, hostnames, failure reasons, ids): neutralised.
    Text(&'a str),
    /// A number the product formatted itself; written as is so that a
    /// spreadsheet still reads it as a number (a negative one included).
    Number(String),
}

/// Characters that make a spreadsheet (Excel, LibreOffice, Google Sheets) read
/// a cell as a formula or a DDE command, from the OWASP "CSV Injection" page:
/// `=`, `+`, `-`, `@`, tab (0x09) and carriage return (0x0D).
const FORMULA_TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Text as a spreadsheet must show it: a cell that begins with a formula
/// trigger gets a leading single quote, which spreadsheets take as "this is
/// text" and do not display (OWASP's recommended neutralisation). The value
/// stays readable and the original is recoverable by dropping the quote.
pub fn neutralise(text: &str) -> Cow<'_, str> {
    if text.starts_with(FORMULA_TRIGGERS) { Cow::Owned(format!("'{text}")) } else { Cow::Borrowed(text) }
}

/// A CSV document (header line, then one line per row, LF line ends), every
/// text cell neutralised and every cell quoted where RFC 4180 requires it.
pub fn write<'a>(header: &[&str], rows: impl IntoIterator<Item = Vec<Cell<'a>>>) -> Result<String, ApiError> {
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    let failed = |e: csv::Error| ApiError::Internal(format!("writing CSV: {e}"));
    writer.write_record(header).map_err(failed)?;
    for row in rows {
        let cells = row.iter().map(|cell| match cell {
            Cell::Text(text) => neutralise(text),
            Cell::Number(number) => Cow::Borrowed(number.as_str()),
        });
        writer.write_record(cells.collect::<Vec<_>>().iter().map(|c| c.as_bytes())).map_err(failed)?;
    }
    let bytes = writer.into_inner().map_err(|e| ApiError::Internal(format!("writing CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| ApiError::Internal(format!("writing CSV: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_cell(text: &str) -> String {
        let doc = write(&["h"], [vec![Cell::Text(text)]]).expect("csv");
        doc.strip_prefix("h\n").expect("header").to_owned()
    }

    #[test]
    fn every_formula_trigger_is_prefixed_with_a_quote() {
        for (input, expected) in [
            ("=1+2", "'=1+2\n"),
            ("+1+2", "'+1+2\n"),
            ("-1+2", "'-1+2\n"),
            ("@SUM(A1)", "'@SUM(A1)\n"),
            ("\t=1+2", "'\t=1+2\n"),
            // CR needs RFC 4180 quoting as well as the prefix.
            ("\r=1+2", "\"'\r=1+2\"\n"),
        ] {
            assert_eq!(one_cell(input), expected, "{input:?}");
        }
    }

    #[test]
    fn a_trigger_inside_quoting_is_still_neutralised_and_quotes_are_doubled() {
        assert_eq!(one_cell("=HYPERLINK(\"http://x\",\"y\")"), "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"\n");
        assert_eq!(one_cell("a,=1+2"), "\"a,=1+2\"\n");
        assert_eq!(one_cell("line\nbreak"), "\"line\nbreak\"\n");
    }

    #[test]
    fn ordinary_text_and_numbers_are_unchanged() {
        assert_eq!(one_cell("rack1-node04"), "rack1-node04\n");
        assert_eq!(one_cell(""), "\"\"\n");
        let doc = write(&["a", "b"], [vec![Cell::Text("x"), Cell::Number("-1.5".into())]]).expect("csv");
        assert_eq!(doc, "a,b\nx,-1.5\n");
    }
}
