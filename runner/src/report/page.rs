//! One self-contained HTML page: the data as JSON in a `<script type="application/json">`,
//! our own script and styles inline (embedded at build time), nothing fetched, so the file
//! opens from `file://` and can be uploaded as a CI artifact.

use serde::Serialize;

const CSS: &str = include_str!("assets/report.css");
const JS: &str = include_str!("assets/report.js");

/// The page for `data`, titled `title`.
pub fn render<T: Serialize>(title: &str, data: &T) -> Result<String, serde_json::Error> {
    let json = script_safe_json(&serde_json::to_string(data)?);
    Ok(format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta name=\"color-scheme\" content=\"light dark\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n\
<title>{title}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n\
<main id=\"app\"><p>Loading the report… (it needs JavaScript)</p></main>\n\
<script type=\"application/json\" id=\"report-data\">{json}</script>\n\
<script>\n{JS}</script>\n</body>\n</html>\n",
        title = html_escape(title),
    ))
}

/// JSON that cannot end its `<script>` element or open a comment in it: every `<` (which JSON
/// only has inside strings) becomes `\u003c`, which `JSON.parse` reads back as `<`.
pub fn script_safe_json(json: &str) -> String {
    json.replace('<', "\\u003c")
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closing_script_tag_in_the_data_stays_inside_the_json() {
        let data = serde_json::json!({"text": "</script><script>alert(1)</script><!--"});
        let page = render("a <b> title", &data).unwrap();
        assert_eq!(page.matches("</script>").count(), 2, "{page}");
        assert!(!page.contains("<!--"));
        assert!(page.contains("<title>a &lt;b&gt; title</title>"));
        let start = page.find("id=\"report-data\">").unwrap() + "id=\"report-data\">".len();
        let end = start + page[start..].find("</script>").unwrap();
        let back: serde_json::Value = serde_json::from_str(&page[start..end]).unwrap();
        assert_eq!(back, data);
    }

    #[test]
    fn nothing_is_fetched() {
        let page = render("t", &serde_json::json!({})).unwrap();
        for needle in ["http://", "https://", "src=", "href=\"//"] {
            assert!(!page.contains(needle), "{needle} in the page");
        }
    }
}
