//! A sub-agent's message as the parent gave it: `message`, or `items` turned into the parts of
//! the child's user message the way Codex 0.169 sends them (captured): text items as text, a
//! `local_image` read as `--image` reads a file (its labelled `input_image`), an `image` URL as
//! an `input_image`, and the prompt the parent's items show (`[local_image:PATH]`, `[image]`).

use std::path::Path;

use rcodex_core::protocol::ContentItem;
use serde::Deserialize;

/// One structured input item. Unknown kinds are refused by serde with Codex's list of kinds.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InputItem {
    Text { text: String },
    Image { image_url: String },
    LocalImage { path: String },
    Audio {},
    LocalAudio {},
    Skill {},
    Mention {},
}

/// What a child is asked: the prompt shown in the parent's items, the parts sent before the
/// last text, and that text (empty when the items end with something else).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChildInput {
    pub prompt: String,
    pub parts: Vec<ContentItem>,
    pub text: String,
}

impl ChildInput {
    fn message(text: &str) -> Self {
        ChildInput {
            prompt: text.to_string(),
            parts: Vec::new(),
            text: text.to_string(),
        }
    }
}

/// The input `message` or `items` give; Codex's refusals when there is neither or both.
/// Images are read relative to `cwd`, with `original_detail` as `--image` uses it.
pub fn child_input(
    message: &Option<String>,
    items: &Option<Vec<InputItem>>,
    cwd: &Path,
    original_detail: bool,
) -> Result<ChildInput, String> {
    match (message, items) {
        (Some(_), Some(items)) if !items.is_empty() => {
            Err("Provide either message or items, but not both".into())
        }
        (Some(message), _) => Ok(ChildInput::message(message)),
        (None, Some(items)) if !items.is_empty() => Ok(from_items(items, cwd, original_detail)),
        _ => Err("Provide one of: message or items".into()),
    }
}

fn from_items(items: &[InputItem], cwd: &Path, original_detail: bool) -> ChildInput {
    let mut shown = Vec::new();
    let mut parts = Vec::new();
    let mut local_images = 0;
    for item in items {
        match item {
            InputItem::Text { text } => {
                shown.push(text.clone());
                parts.push(ContentItem::InputText { text: text.clone() });
            }
            InputItem::Image { image_url } => {
                shown.push("[image]".into());
                parts.push(ContentItem::InputImage {
                    image_url: image_url.clone(),
                    detail: original_detail.then(|| "original".into()),
                });
            }
            InputItem::LocalImage { path } => {
                shown.push(format!("[local_image:{path}]"));
                local_images += 1;
                parts.extend(local_image(path, local_images, cwd, original_detail));
            }
            InputItem::Audio {}
            | InputItem::LocalAudio {}
            | InputItem::Skill {}
            | InputItem::Mention {} => {}
        }
    }
    let text = match parts.last() {
        Some(ContentItem::InputText { text })
            if matches!(items.last(), Some(InputItem::Text { .. })) =>
        {
            let text = text.clone();
            parts.pop();
            text
        }
        _ => String::new(),
    };
    ChildInput {
        prompt: shown.join("\n"),
        parts,
        text,
    }
}

/// A local image's parts: `--image`'s labelled image, or (as Codex does, captured) a text part
/// saying the file could not be read.
fn local_image(path: &str, number: usize, cwd: &Path, original_detail: bool) -> Vec<ContentItem> {
    let unreadable = |why: String| {
        vec![ContentItem::InputText {
            text: format!("Codex could not read the local image at `{path}`: {why}"),
        }]
    };
    if let Err(e) = std::fs::metadata(cwd.join(path)) {
        return unreadable(e.to_string());
    }
    let arguments = serde_json::json!({ "path": path }).to_string();
    let value = match crate::tools::view_image::run(&arguments, cwd, original_detail) {
        Ok(value) => value,
        Err(e) => return unreadable(e.output),
    };
    let Ok(image) = serde_json::from_value::<Vec<ContentItem>>(value) else {
        return unreadable("not an image".into());
    };
    let mut parts = vec![ContentItem::InputText {
        text: format!("<image name=[Image #{number}] path=\"{path}\">"),
    }];
    parts.extend(image);
    parts.push(ContentItem::InputText {
        text: "</image>".into(),
    });
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(json: &str) -> Result<Vec<InputItem>, String> {
        crate::agents::args::parse::<Vec<InputItem>>(json)
    }

    #[test]
    fn bad_items_are_refused_in_codexs_words() {
        let unknown = items(r#"[{"type":"bogus","text":"x"}]"#).unwrap_err();
        assert!(
            unknown.starts_with("failed to parse function arguments: unknown variant `bogus`, expected one of `text`, `image`, `local_image`, `audio`, `local_audio`, `skill`, `mention`"),
            "{unknown}"
        );
        let no_path = items(r#"[{"type":"local_image"}]"#).unwrap_err();
        assert!(
            no_path.starts_with("failed to parse function arguments: missing field `path`"),
            "{no_path}"
        );
        let both = child_input(
            &Some("m".into()),
            &Some(items(r#"[{"type":"text","text":"n"}]"#).unwrap()),
            Path::new("/"),
            true,
        );
        assert_eq!(
            both.unwrap_err(),
            "Provide either message or items, but not both"
        );
    }

    #[test]
    fn items_keep_their_order_and_the_last_text_is_the_prompt_text() {
        let dir = tempfile::tempdir().unwrap();
        let list = items(
            r#"[{"type":"text","text":"look"},{"type":"local_image","path":"gone.png"},
                {"type":"image","image_url":"data:image/png;base64,AAAA"},{"type":"text","text":"then"}]"#,
        )
        .unwrap();
        let input = child_input(&None, &Some(list), dir.path(), true).unwrap();
        assert_eq!(input.prompt, "look\n[local_image:gone.png]\n[image]\nthen");
        assert_eq!(input.text, "then");
        assert_eq!(input.parts.len(), 3);
        assert_eq!(
            input.parts[0],
            ContentItem::InputText {
                text: "look".into()
            }
        );
        let ContentItem::InputText { text } = &input.parts[1] else {
            panic!("{:?}", input.parts[1]);
        };
        assert!(
            text.starts_with("Codex could not read the local image at `gone.png`: "),
            "{text}"
        );
        assert_eq!(
            input.parts[2],
            ContentItem::InputImage {
                image_url: "data:image/png;base64,AAAA".into(),
                detail: Some("original".into())
            }
        );
    }
}
