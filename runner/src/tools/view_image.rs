//! `view_image`: turns a local image file into an `input_image` content item for the model.
//!
//! Behaviour pinned against Codex 0.169.0: for a model that supports original detail the file's
//! bytes go as they are (GIFs and other formats re-encoded as PNG) tagged `detail:"original"`;
//! otherwise an image larger than 2048×2048 is scaled to fit (PNG/JPEG/WebP keep their format,
//! others become PNG) and tagged `detail:"high"`. Failures are plain texts the model reads.

use std::io::Cursor;
use std::path::Path;

use base64::Engine;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ExtendedColorType, GenericImageView, ImageEncoder, ImageFormat};
use serde::Deserialize;
use serde_json::{json, Value};

use super::tool_run::{parse_args, ToolRun};

/// Largest width or height sent when resizing.
pub const MAX_DIMENSION: u32 = 2048;
/// Largest image file accepted, in bytes (upstream's prompt-image limit).
pub const MAX_IMAGE_FILE_BYTES: u64 = 50 * 1024 * 1024;
/// Reply for bytes that are not a decodable image.
pub const UNDECODABLE: &str = "unable to process image: invalid or unsupported image data";
const JPEG_QUALITY: u8 = 85;

#[derive(Deserialize)]
struct Args {
    path: String,
    #[serde(default)]
    detail: Option<String>,
}

/// Runs the tool. `Ok` is the `function_call_output` content-item array; `Err` a text reply.
/// `original_detail` is the model's `supports_image_detail_original`.
pub fn run(arguments_json: &str, cwd: &Path, original_detail: bool) -> Result<Value, ToolRun> {
    let args: Args = parse_args(arguments_json)?;
    let wants_original = match args.detail.as_deref() {
        None | Some("original") => true,
        Some("high") => false,
        Some(other) => {
            return Err(ToolRun::fail(format!(
                "view_image.detail only supports `high` or `original`; omit `detail` for default high resized behavior, got `{other}`"
            )))
        }
    };
    let keep_original = original_detail && wants_original;
    let path: std::path::PathBuf = cwd.join(&args.path).components().collect();
    let shown = path.display();
    let meta = std::fs::metadata(&path)
        .map_err(|err| ToolRun::fail(format!("unable to locate image at `{shown}`: {err}")))?;
    if !meta.is_file() {
        return Err(ToolRun::fail(format!("image path `{shown}` is not a file")));
    }
    if meta.len() > MAX_IMAGE_FILE_BYTES {
        return Err(ToolRun::fail(format!(
            "unable to read image at `{shown}`: image exceeds the {MAX_IMAGE_FILE_BYTES}-byte limit"
        )));
    }
    let bytes = std::fs::read(&path)
        .map_err(|err| ToolRun::fail(format!("unable to read image at `{shown}`: {err}")))?;
    let (mime, payload) = prepare(bytes, keep_original)?;
    let url = format!(
        "data:{mime};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(payload)
    );
    let detail = if keep_original { "original" } else { "high" };
    Ok(json!([{"type": "input_image", "image_url": url, "detail": detail}]))
}

/// Decodes, resizes if needed, and picks the bytes and MIME type to send.
fn prepare(bytes: Vec<u8>, keep_original: bool) -> Result<(&'static str, Vec<u8>), ToolRun> {
    let undecodable = |_| ToolRun::fail(UNDECODABLE);
    let format = image::guess_format(&bytes).map_err(undecodable)?;
    let decoded = image::load_from_memory_with_format(&bytes, format).map_err(undecodable)?;
    let passthrough = matches!(
        format,
        ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP
    );
    let (width, height) = decoded.dimensions();
    let fits = width <= MAX_DIMENSION && height <= MAX_DIMENSION;
    if keep_original || fits {
        if passthrough {
            return Ok((mime_of(format), bytes));
        }
        return encode(&decoded, ImageFormat::Png);
    }
    let resized = decoded.resize(MAX_DIMENSION, MAX_DIMENSION, FilterType::Triangle);
    encode(
        &resized,
        if passthrough {
            format
        } else {
            ImageFormat::Png
        },
    )
}

fn mime_of(format: ImageFormat) -> &'static str {
    match format {
        ImageFormat::Jpeg => "image/jpeg",
        ImageFormat::WebP => "image/webp",
        _ => "image/png",
    }
}

fn encode(img: &DynamicImage, format: ImageFormat) -> Result<(&'static str, Vec<u8>), ToolRun> {
    let mut out = Vec::new();
    let (w, h) = img.dimensions();
    let result = match format {
        ImageFormat::Jpeg => JpegEncoder::new_with_quality(Cursor::new(&mut out), JPEG_QUALITY)
            .write_image(img.to_rgb8().as_raw(), w, h, ExtendedColorType::Rgb8),
        ImageFormat::WebP => WebPEncoder::new_lossless(Cursor::new(&mut out)).write_image(
            img.to_rgba8().as_raw(),
            w,
            h,
            ExtendedColorType::Rgba8,
        ),
        _ => PngEncoder::new(Cursor::new(&mut out)).write_image(
            img.to_rgba8().as_raw(),
            w,
            h,
            ExtendedColorType::Rgba8,
        ),
    };
    result.map_err(|err| ToolRun::fail(format!("unable to process image: {err}")))?;
    Ok((mime_of(format), out))
}

#[cfg(test)]
#[path = "view_image_tests.rs"]
mod tests;
