//! `--format html`: one offline page with the SVG ladder and a panel that shows a segment's
//! fields when the pointer is over its arrow (click keeps them). No network: the style and
//! the script are inline. The page is XHTML-compatible, so it also parses as XML.

use super::diagram::{ConnRows, PictureFormat, PictureRenderer};
use super::svg::{draw, xml_escape, PictureOptions};
use crate::lang::{self, Lang, PictureWord};
use std::io::{self, Write};

const CSS: &str =
    "body{margin:0;font-family:'DejaVu Sans',sans-serif;color:#263238;background:#fafafa}\
header{padding:8px 16px;background:#263238;color:#eceff1;font-size:16px}\
#wrap{display:flex;align-items:flex-start}#diagram{flex:1;overflow:auto;padding:8px}\
#panel{position:sticky;top:0;width:330px;min-height:200px;max-height:100vh;overflow:auto;\
padding:10px 14px;background:#fff;border-left:1px solid #cfd8dc;font-size:12px}\
#panel h2{font-size:14px;margin:4px 0 8px}#panel table{border-collapse:collapse;width:100%}\
#panel td{border-bottom:1px solid #eceff1;padding:2px 4px;vertical-align:top;word-break:break-all}\
#panel td.k{color:#78909c;white-space:nowrap;font-family:'DejaVu Sans Mono',monospace}\
g.seg{cursor:pointer}#diagram svg{max-width:100%;height:auto}";

/// Reads the segment fields from the JSON block and fills the panel, through the DOM only
/// (text from packets never becomes markup).
const SCRIPT: &str = r#"(function () {
  var data = JSON.parse(document.getElementById('tcpscope-data').textContent);
  var body = document.getElementById('panel-body');
  var pinned = null;
  function show(i) {
    var d = data[i];
    if (!d) { return; }
    while (body.firstChild) { body.removeChild(body.firstChild); }
    var table = document.createElement('table');
    Object.keys(d).forEach(function (k) {
      var tr = document.createElement('tr');
      var a = document.createElement('td');
      a.className = 'k';
      a.textContent = k;
      var b = document.createElement('td');
      b.textContent = d[k] === null ? '-' : String(d[k]);
      tr.appendChild(a);
      tr.appendChild(b);
      table.appendChild(tr);
    });
    body.appendChild(table);
  }
  document.querySelectorAll('g.seg').forEach(function (g) {
    var i = Number(g.getAttribute('data-i'));
    g.addEventListener('mouseenter', function () { if (pinned === null) { show(i); } });
    g.addEventListener('click', function () {
      if (pinned !== null) { pinned.classList.remove('sel'); }
      pinned = (pinned === g) ? null : g;
      if (pinned !== null) { g.classList.add('sel'); }
      show(i);
    });
  });
})();"#;

/// JSON made safe inside an XHTML `script` element: no `<`, `>` or `&` at all.
fn json_for_script(v: &serde_json::Value) -> String {
    v.to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// `--format html`: the page around the SVG picture.
pub struct Html;

impl PictureFormat for Html {
    fn write<W: Write>(
        out: &mut W,
        conns: &[(u64, ConnRows)],
        note: Option<&str>,
        opts: &PictureOptions,
    ) -> io::Result<()> {
        let l = opts.lang;
        let picture = draw(conns, note, opts, true);
        let title = xml_escape(lang::picture_word(PictureWord::Title, l));
        let code = match l {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        };
        write!(
            out,
            "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"{code}\" xml:lang=\"{code}\">\n<head>\n<meta charset=\"utf-8\"/>\n<meta name=\"generator\" content=\"tcpscope {}\"/>\n<title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<header>{title}</header>\n<div id=\"wrap\">\n<div id=\"diagram\">\n",
            env!("CARGO_PKG_VERSION")
        )?;
        out.write_all(picture.svg.as_bytes())?;
        write!(
            out,
            "</div>\n<aside id=\"panel\"><h2>{}</h2><div id=\"panel-body\"><p>{}</p></div></aside>\n</div>\n",
            xml_escape(lang::picture_word(PictureWord::PanelTitle, l)),
            xml_escape(lang::picture_word(PictureWord::PanelHint, l))
        )?;
        let data = json_for_script(&serde_json::Value::Array(picture.fields));
        write!(
            out,
            "<script type=\"application/json\" id=\"tcpscope-data\">{data}</script>\n<script>//<![CDATA[\n{SCRIPT}\n//]]></script>\n</body>\n</html>\n"
        )
    }
}

pub type HtmlRenderer<W, E> = PictureRenderer<W, E, Html>;

#[cfg(test)]
mod tests {
    use super::json_for_script;

    #[test]
    fn script_json_has_no_markup() {
        let v = serde_json::json!({"payload": "</script><b>&amp;"});
        let s = json_for_script(&v);
        assert!(!s.contains(['<', '>', '&']));
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back, v);
    }
}
