//! The check an uploaded listing photo must pass before it becomes `ready`: its size against the
//! limit and the declaration, its magic bytes against the declared type, then its dimensions,
//! read from the head of the stored object only. Pure: the caller fetches the bytes.

use std::fmt;

/// The largest photo accepted, in bytes (10 MiB).
pub const MAX_BYTES: u64 = 10 * 1024 * 1024;

/// The longest side accepted, in pixels.
pub const MAX_SIDE: u32 = 8_000;

/// How many photos a property may have, pending ones included.
pub const MAX_PHOTOS_PER_PROPERTY: usize = 50;

/// The longest caption, in characters.
pub const MAX_CAPTION_CHARS: usize = 200;

/// How many leading bytes of the stored object [`verify`] looks at (256 KiB).
///
/// PNG and WebP carry their dimensions in the first 30 bytes, but a JPEG's frame header (SOF)
/// comes after all its APP segments: a camera's EXIF block (up to 64 KiB by itself, thumbnail
/// included), an XMP packet, an ICC profile, a phone's MPF index. 64 KiB would reject a valid
/// photo whose EXIF segment alone is full size; 256 KiB leaves room for all of them and is still
/// one small ranged read next to the 10 MiB an upload may be. A file whose SOF lies further in is
/// `Unreadable` rather than read in full.
pub const HEAD_BYTES: usize = 256 * 1024;

/// The content types a photo may be uploaded as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PhotoType {
    Jpeg,
    Png,
    Webp,
}

impl PhotoType {
    /// The type of a declared `contentType`, spelled exactly as the upload's header will be.
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "image/jpeg" => Ok(Self::Jpeg),
            "image/png" => Ok(Self::Png),
            "image/webp" => Ok(Self::Webp),
            _ => Err("must be image/jpeg, image/png or image/webp".to_owned()),
        }
    }

    /// The MIME type, as sent in `Content-Type`.
    pub fn as_mime(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
        }
    }

    /// The accepted type whose signature `head` starts with.
    fn sniff(head: &[u8]) -> Option<Self> {
        if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if head.len() >= 12 && head.starts_with(b"RIFF") && &head[8..12] == b"WEBP" {
            Some(Self::Webp)
        } else {
            None
        }
    }
}

/// What the host declared when asking for the upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Declared {
    pub content_type: PhotoType,
    pub size_bytes: u64,
}

/// The outcome of [`verify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Ready { width: u32, height: u32 },
    Rejected(RejectReason),
}

/// Why an uploaded file will not be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectReason {
    /// An image, but not of the declared type; `found` is its type when it is one we accept
    /// (`None`: a GIF, TIFF, HEIC or AVIF).
    WrongType {
        found: Option<PhotoType>,
    },
    /// Not a JPEG, PNG or WebP, nor any other image we recognise.
    NotAnImage,
    LargerThanDeclared,
    /// Fewer bytes arrived than were declared: a truncated upload.
    SmallerThanDeclared,
    /// Over [`MAX_BYTES`].
    TooLarge,
    /// A side over [`MAX_SIDE`].
    TooManyPixels {
        width: u32,
        height: u32,
    },
    /// The dimensions are not within the first [`HEAD_BYTES`], or the header is corrupt.
    Unreadable,
    /// The file was stored after its upload URL expired (where the store did not refuse it).
    UploadExpired,
}

impl RejectReason {
    /// A stable snake_case code for logs and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Self::WrongType { .. } => "wrong_type",
            Self::NotAnImage => "not_an_image",
            Self::LargerThanDeclared => "larger_than_declared",
            Self::SmallerThanDeclared => "smaller_than_declared",
            Self::TooLarge => "too_large",
            Self::TooManyPixels { .. } => "too_many_pixels",
            Self::Unreadable => "unreadable",
            Self::UploadExpired => "upload_expired",
        }
    }

    /// The text shown to the host as the photo's `rejectReason`.
    pub fn message(&self) -> &'static str {
        match self {
            Self::WrongType { .. } => "The file is not an image of the declared type.",
            Self::NotAnImage => "The file is not a JPEG, PNG or WebP image.",
            Self::LargerThanDeclared => "The file is larger than the declared size.",
            Self::SmallerThanDeclared => "The file is smaller than the declared size; the upload was cut short.",
            Self::TooLarge => "The file is larger than 10 MiB.",
            Self::TooManyPixels { .. } => "The image is more than 8,000 pixels on a side.",
            Self::Unreadable => "The image's dimensions could not be read.",
            Self::UploadExpired => "The file arrived after its upload URL expired; ask for a new one.",
        }
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// Whether a stored upload may be shown: `head` is the object's first bytes (the caller reads at
/// most [`HEAD_BYTES`]; more are ignored), `stored_size` its actual size.
pub fn verify(declared: &Declared, head: &[u8], stored_size: u64) -> Verdict {
    match check(declared, head, stored_size) {
        Ok((width, height)) => Verdict::Ready { width, height },
        Err(reason) => Verdict::Rejected(reason),
    }
}

fn check(declared: &Declared, head: &[u8], stored_size: u64) -> Result<(u32, u32), RejectReason> {
    // Sizes first: they need no bytes, and a file over the limit is refused whatever it holds.
    if declared.size_bytes > MAX_BYTES || stored_size > MAX_BYTES {
        return Err(RejectReason::TooLarge);
    }
    if stored_size > declared.size_bytes {
        return Err(RejectReason::LargerThanDeclared);
    }
    if stored_size < declared.size_bytes {
        return Err(RejectReason::SmallerThanDeclared);
    }

    // A verdict must not depend on how much the caller happened to read.
    let head = &head[..head.len().min(HEAD_BYTES)];
    match PhotoType::sniff(head) {
        Some(found) if found == declared.content_type => {}
        Some(found) => return Err(RejectReason::WrongType { found: Some(found) }),
        None if is_other_image(head) => return Err(RejectReason::WrongType { found: None }),
        None => return Err(RejectReason::NotAnImage),
    }

    // imagesize is built with only the jpeg, png and webp readers, and each one's signature is
    // implied by the sniff above, so it reads the file as the type just checked.
    let size = imagesize::blob_size(head).map_err(|_| RejectReason::Unreadable)?;
    if size.width == 0 || size.height == 0 {
        return Err(RejectReason::Unreadable);
    }
    let side = |pixels: usize| u32::try_from(pixels).unwrap_or(u32::MAX);
    let (width, height) = (side(size.width), side(size.height));
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(RejectReason::TooManyPixels { width, height });
    }
    Ok((width, height))
}

/// Images we do not take but that a client may well send under a JPEG label, phones' HEIC first:
/// the host is better told "wrong type" than "not an image".
fn is_other_image(head: &[u8]) -> bool {
    const HEIF_BRANDS: [&[u8; 4]; 10] = [
        b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis",
    ];
    let gif = head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a");
    let tiff = head.starts_with(b"II*\0") || head.starts_with(b"MM\0*");
    let heif = head.len() >= 12 && &head[4..8] == b"ftyp" && HEIF_BRANDS.iter().any(|brand| &head[8..12] == *brand);
    gif || tiff || heif
}

/// A photo caption: trimmed, at most [`MAX_CAPTION_CHARS`] characters (empty is allowed), and
/// no control characters at all, line breaks included.
pub fn parse_caption(raw: &str) -> Result<String, String> {
    let caption = raw.trim();
    if caption.chars().count() > MAX_CAPTION_CHARS {
        return Err(format!("must be at most {MAX_CAPTION_CHARS} characters"));
    }
    if caption.chars().any(char::is_control) {
        return Err("must not contain control characters or line breaks".to_owned());
    }
    Ok(caption.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::samples::{jpeg, png, webp_vp8l, webp_vp8x};

    fn as_declared(content_type: PhotoType, bytes: &[u8]) -> Declared {
        Declared {
            content_type,
            size_bytes: bytes.len() as u64,
        }
    }

    /// The verdict on `bytes` fully uploaded as declared.
    fn verdict(content_type: PhotoType, bytes: &[u8]) -> Verdict {
        verify(&as_declared(content_type, bytes), bytes, bytes.len() as u64)
    }

    fn rejected(reason: RejectReason) -> Verdict {
        Verdict::Rejected(reason)
    }

    #[test]
    fn each_type_is_ready_with_its_dimensions() {
        assert_eq!(
            verdict(PhotoType::Png, &png(640, 480)),
            Verdict::Ready {
                width: 640,
                height: 480
            }
        );
        assert_eq!(
            verdict(PhotoType::Jpeg, &jpeg(1200, 800, 0)),
            Verdict::Ready {
                width: 1200,
                height: 800
            }
        );
        assert_eq!(
            verdict(PhotoType::Webp, &webp_vp8x(4000, 3000)),
            Verdict::Ready {
                width: 4000,
                height: 3000
            }
        );
        assert_eq!(
            verdict(PhotoType::Webp, &webp_vp8l(300, 200)),
            Verdict::Ready {
                width: 300,
                height: 200
            }
        );
    }

    #[test]
    fn a_jpeg_behind_a_full_size_exif_segment_is_read() {
        // The SOF sits past 64 KiB, as in a camera file with a large EXIF thumbnail.
        let file = jpeg(6000, 4000, 65_533 - 6 + 2_000);
        assert!(file.len() > 64 * 1024);
        assert_eq!(
            verdict(PhotoType::Jpeg, &file),
            Verdict::Ready {
                width: 6000,
                height: 4000
            }
        );
    }

    #[test]
    fn a_jpeg_whose_frame_header_lies_past_the_head_is_unreadable() {
        let file = jpeg(1200, 800, HEAD_BYTES);
        let declared = as_declared(PhotoType::Jpeg, &file);
        let expected = rejected(RejectReason::Unreadable);
        assert_eq!(verify(&declared, &file[..HEAD_BYTES], file.len() as u64), expected);
        // Handing over more than HEAD_BYTES changes nothing.
        assert_eq!(verify(&declared, &file, file.len() as u64), expected);
    }

    #[test]
    fn a_head_cut_before_the_dimensions_is_unreadable() {
        let file = png(10, 10);
        let declared = as_declared(PhotoType::Png, &file);
        assert_eq!(
            verify(&declared, &file[..16], file.len() as u64),
            rejected(RejectReason::Unreadable)
        );
        let zero = png(0, 10);
        assert_eq!(verdict(PhotoType::Png, &zero), rejected(RejectReason::Unreadable));
    }

    #[test]
    fn magic_bytes_must_match_the_declared_type() {
        let found = |found| rejected(RejectReason::WrongType { found: Some(found) });
        assert_eq!(verdict(PhotoType::Jpeg, &png(10, 10)), found(PhotoType::Png));
        assert_eq!(verdict(PhotoType::Png, &jpeg(10, 10, 0)), found(PhotoType::Jpeg));
        assert_eq!(verdict(PhotoType::Jpeg, &webp_vp8x(10, 10)), found(PhotoType::Webp));
    }

    #[test]
    fn other_image_formats_are_the_wrong_type() {
        let wrong = rejected(RejectReason::WrongType { found: None });
        let gif = b"GIF89a\x0a\x00\x0a\x00\x00\x00\x00;".to_vec();
        assert_eq!(verdict(PhotoType::Jpeg, &gif), wrong);
        let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
        assert_eq!(verdict(PhotoType::Jpeg, &heic), wrong);
        // An MP4 is ISO-BMFF too, but not an image.
        let mp4 = b"\0\0\0\x18ftypisom\0\0\0\0isomiso2".to_vec();
        assert_eq!(verdict(PhotoType::Jpeg, &mp4), rejected(RejectReason::NotAnImage));
    }

    #[test]
    fn anything_else_is_not_an_image() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let noise: Vec<u8> = (0..4096)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 56) as u8
            })
            .collect();
        assert_eq!(verdict(PhotoType::Jpeg, &noise), rejected(RejectReason::NotAnImage));
        assert_eq!(
            verdict(PhotoType::Png, b"hello, world"),
            rejected(RejectReason::NotAnImage)
        );
        assert_eq!(
            verdict(PhotoType::Webp, b"RIFF\0\0\0\0WAVE"),
            rejected(RejectReason::NotAnImage)
        );
        assert_eq!(verdict(PhotoType::Png, &[]), rejected(RejectReason::NotAnImage));
        assert_eq!(
            verdict(PhotoType::Jpeg, &[0xFF, 0xD8]),
            rejected(RejectReason::NotAnImage)
        );
    }

    #[test]
    fn the_stored_size_must_be_the_declared_one() {
        let file = png(10, 10);
        let mut declared = as_declared(PhotoType::Png, &file);
        let full = file.len() as u64;
        declared.size_bytes = full - 1;
        assert_eq!(
            verify(&declared, &file, full),
            rejected(RejectReason::LargerThanDeclared)
        );
        declared.size_bytes = full;
        let cut = &file[..file.len() - 12];
        assert_eq!(
            verify(&declared, cut, cut.len() as u64),
            rejected(RejectReason::SmallerThanDeclared)
        );
    }

    #[test]
    fn ten_mebibytes_is_the_limit() {
        let file = png(10, 10);
        let at_limit = Declared {
            content_type: PhotoType::Png,
            size_bytes: MAX_BYTES,
        };
        assert_eq!(
            verify(&at_limit, &file, MAX_BYTES),
            Verdict::Ready { width: 10, height: 10 }
        );
        let over = Declared {
            content_type: PhotoType::Png,
            size_bytes: MAX_BYTES + 1,
        };
        assert_eq!(verify(&over, &file, MAX_BYTES + 1), rejected(RejectReason::TooLarge));
        assert_eq!(
            verify(&at_limit, &file, MAX_BYTES + 1),
            rejected(RejectReason::TooLarge)
        );
        assert_eq!(MAX_BYTES, 10_485_760);
    }

    #[test]
    fn sizes_are_checked_before_the_bytes() {
        let over = Declared {
            content_type: PhotoType::Jpeg,
            size_bytes: MAX_BYTES + 1,
        };
        assert_eq!(
            verify(&over, b"not an image", MAX_BYTES + 1),
            rejected(RejectReason::TooLarge)
        );
        let declared = Declared {
            content_type: PhotoType::Jpeg,
            size_bytes: 100,
        };
        assert_eq!(
            verify(&declared, &png(10, 10), 50),
            rejected(RejectReason::SmallerThanDeclared)
        );
    }

    #[test]
    fn eight_thousand_pixels_a_side_is_the_limit() {
        assert_eq!(
            verdict(PhotoType::Png, &png(8000, 1)),
            Verdict::Ready { width: 8000, height: 1 }
        );
        assert_eq!(
            verdict(PhotoType::Png, &png(1, 8000)),
            Verdict::Ready { width: 1, height: 8000 }
        );
        assert_eq!(
            verdict(PhotoType::Png, &png(8001, 10)),
            rejected(RejectReason::TooManyPixels {
                width: 8001,
                height: 10
            })
        );
        assert_eq!(
            verdict(PhotoType::Png, &png(10, 8001)),
            rejected(RejectReason::TooManyPixels {
                width: 10,
                height: 8001
            })
        );
        assert_eq!(
            verdict(PhotoType::Jpeg, &jpeg(9000, 6000, 0)),
            rejected(RejectReason::TooManyPixels {
                width: 9000,
                height: 6000
            })
        );
    }

    #[test]
    fn the_three_types_parse_and_nothing_else() {
        for photo_type in [PhotoType::Jpeg, PhotoType::Png, PhotoType::Webp] {
            assert_eq!(PhotoType::parse(photo_type.as_mime()), Ok(photo_type));
        }
        assert_eq!(PhotoType::parse("image/jpeg"), Ok(PhotoType::Jpeg));
        for refused in ["image/gif", "text/plain", "image/jpg", "IMAGE/PNG", " image/png", ""] {
            let message = PhotoType::parse(refused).unwrap_err();
            assert!(message.contains("image/jpeg") && message.contains("image/png") && message.contains("image/webp"));
        }
    }

    #[test]
    fn reasons_have_distinct_codes_and_a_message() {
        let reasons = [
            RejectReason::WrongType {
                found: Some(PhotoType::Png),
            },
            RejectReason::NotAnImage,
            RejectReason::LargerThanDeclared,
            RejectReason::SmallerThanDeclared,
            RejectReason::TooLarge,
            RejectReason::TooManyPixels { width: 9000, height: 1 },
            RejectReason::Unreadable,
        ];
        let mut codes: Vec<&str> = reasons.iter().map(RejectReason::code).collect();
        assert!(
            codes
                .iter()
                .all(|code| code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        );
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), reasons.len());
        for reason in reasons {
            assert!(reason.message().ends_with('.'));
            assert_eq!(reason.to_string(), reason.message());
        }
    }

    #[test]
    fn captions_are_trimmed_short_single_line_text() {
        assert_eq!(
            parse_caption("  Sea view from the balcony \n").unwrap(),
            "Sea view from the balcony"
        );
        assert_eq!(parse_caption("").unwrap(), "");
        assert_eq!(parse_caption("   ").unwrap(), "");
        let longest = "é".repeat(MAX_CAPTION_CHARS);
        assert_eq!(parse_caption(&longest).unwrap(), longest);
        assert!(parse_caption(&"a".repeat(MAX_CAPTION_CHARS + 1)).is_err());
        assert!(parse_caption("Living room\nKitchen").is_err());
        assert!(parse_caption("Living\troom").is_err());
        assert!(parse_caption("Bell\u{7}").is_err());
        assert_eq!(MAX_PHOTOS_PER_PROPERTY, 50);
    }
}
