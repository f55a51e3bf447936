//! A small SAX layer over quick-xml: start and end callbacks with the element path,
//! bounded depth and text, and the hostile-XML rules.
//!
//! * A DTD may be present (Burp's export carries one with `<!ELEMENT>` declarations)
//!   but one that declares an entity is refused: that is how billion-laughs bombs and
//!   external-entity reads (XXE) begin. quick-xml never fetches external DTDs.
//! * In text and attributes only the five predefined entities and character
//!   references are accepted; any other entity is an error, never dropped.

use std::io::BufRead;

use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use crate::guard::Guarded;
use crate::{Ctx, Flow, ImportError, Step};

/// Attributes of one element, unescaped.
pub(crate) struct Attrs(Vec<(String, String)>);

impl Attrs {
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// An attribute, trimmed, `None` when absent or blank.
    pub(crate) fn opt(&self, key: &str) -> Option<String> {
        self.get(key)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }
}

pub(crate) trait Sax {
    /// An element opens; `parents` are the open elements above it (local names).
    fn start(&mut self, ctx: &mut Ctx<'_>, parents: &[String], name: &str, attrs: &Attrs)
    -> Step;
    /// An element closes with the text directly inside it (after its last child).
    fn end(&mut self, ctx: &mut Ctx<'_>, parents: &[String], name: &str, text: String) -> Step;
}

/// Runs `h` over the document; the root element must be one of `roots`.
pub(crate) fn run<R: BufRead>(
    input: &mut Guarded<R>,
    ctx: &mut Ctx<'_>,
    expected: &'static str,
    roots: &[&str],
    h: &mut impl Sax,
) -> Step {
    input.xml_mode();
    let mut xml = Reader::from_reader(input);
    xml.config_mut().check_end_names = true;
    let max_depth = ctx.limits.max_depth;
    let max_text = ctx.limits.max_field_bytes;
    let mut buf = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    // The direct text of each open element, so text before and after a child both
    // count (GVM writes `<host>10.0.0.1<hostname>…</hostname></host>`).
    let mut texts: Vec<(String, bool)> = Vec::new();
    let mut seen_root = false;
    loop {
        buf.clear();
        let ev = match xml.read_event_into(&mut buf) {
            Ok(ev) => ev,
            Err(quick_xml::Error::Io(e)) => {
                return Err(crate::guard::limit_of(&e)
                    .unwrap_or_else(|| ImportError::Io(std::io::Error::new(e.kind(), e.to_string())))
                    .into());
            }
            Err(e) => return Err(ImportError::malformed(expected, e).into()),
        };
        match ev {
            Event::DocType(t) => {
                let decl = t.into_inner();
                if decl.contains("ENTITY") {
                    return Err(ImportError::EntityDeclaration.into());
                }
            }
            Event::Start(e) => {
                let (name, attrs) = open(&e, expected, roots, &mut seen_root, stack.is_empty())?;
                if stack.len() >= max_depth {
                    return Err(ImportError::TooDeep { limit: max_depth }.into());
                }
                h.start(ctx, &stack, &name, &attrs)?;
                stack.push(name);
                texts.push((String::new(), false));
            }
            Event::Empty(e) => {
                let (name, attrs) = open(&e, expected, roots, &mut seen_root, stack.is_empty())?;
                if stack.len() >= max_depth {
                    return Err(ImportError::TooDeep { limit: max_depth }.into());
                }
                h.start(ctx, &stack, &name, &attrs)?;
                h.end(ctx, &stack, &name, String::new())?;
            }
            Event::End(_) => {
                let name = stack.pop().unwrap_or_default();
                let (text, cut) = texts.pop().unwrap_or_default();
                if cut {
                    ctx.cut_fields += 1;
                }
                h.end(ctx, &stack, &name, text)?;
            }
            Event::Text(t) => push(texts.last_mut(), &t.xml10_content(), max_text),
            Event::CData(t) => push(texts.last_mut(), &t.xml10_content(), max_text),
            Event::GeneralRef(r) => {
                let c = entity(&r)?;
                let mut tmp = [0u8; 4];
                push(texts.last_mut(), c.encode_utf8(&mut tmp), max_text);
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
    if !seen_root {
        return Err(ImportError::malformed(expected, "no root element").into());
    }
    if !stack.is_empty() {
        return Err(ImportError::malformed(expected, "the document ends inside an element").into());
    }
    Ok(())
}

fn open(
    e: &BytesStart<'_>,
    expected: &'static str,
    roots: &[&str],
    seen_root: &mut bool,
    at_top: bool,
) -> Result<(String, Attrs), Flow> {
    let name = e.local_name().as_ref().to_string();
    if at_top {
        if *seen_root {
            return Err(ImportError::malformed(expected, "a second root element").into());
        }
        if !roots.iter().any(|r| r.eq_ignore_ascii_case(&name)) {
            return Err(ImportError::malformed(expected, format!("root element <{name}>")).into());
        }
        *seen_root = true;
    }
    let mut attrs = Vec::new();
    for a in e.attributes().with_checks(false) {
        let a = a.map_err(|err| ImportError::malformed(expected, err))?;
        let key = a.key.local_name().as_ref().to_string();
        let v = a
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|err| match err {
                quick_xml::Error::Escape(quick_xml::escape::EscapeError::UnrecognizedEntity(
                    _,
                    n,
                )) => ImportError::UnknownEntity(n),
                other => ImportError::malformed(expected, other),
            })?;
        attrs.push((key, v.into_owned()));
    }
    Ok((name, Attrs(attrs)))
}

/// Appends to the innermost open element's text (text outside the root is dropped).
fn push(top: Option<&mut (String, bool)>, s: &str, max: usize) {
    let Some((text, cut)) = top else {
        return;
    };
    if text.len() >= max {
        *cut |= !s.is_empty();
        return;
    }
    let room = max - text.len();
    if s.len() <= room {
        text.push_str(s);
    } else {
        let mut end = room;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        text.push_str(s.get(..end).unwrap_or(""));
        *cut = true;
    }
}

/// Only the five predefined entities and character references exist for us.
fn entity(r: &BytesRef<'_>) -> Result<char, Flow> {
    let bad = |_| ImportError::UnknownEntity(r.xml10_content().into_owned());
    if let Some(c) = r.resolve_char_ref().map_err(bad)? {
        return Ok(c);
    }
    match r.xml10_content().as_ref() {
        "amp" => Ok('&'),
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "quot" => Ok('"'),
        "apos" => Ok('\''),
        other => Err(ImportError::UnknownEntity(other.to_string()).into()),
    }
}
