//! Small, real images built in code: a decodable PNG of any size, a JPEG up to its frame
//! header behind EXIF-like segments of any length, WebP headers of both kinds. For the unit and
//! HTTP tests of photo uploads, benchmarks and the README's walk-through, so none of them
//! needs an image file or an image library.

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in bytes {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

/// A zlib stream of stored (uncompressed) deflate blocks.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = if data.is_empty() {
        vec![&[]]
    } else {
        data.chunks(65_535).collect()
    };
    for (at, block) in blocks.iter().enumerate() {
        out.push(u8::from(at + 1 == blocks.len()));
        let length = block.len() as u16;
        out.extend(length.to_le_bytes());
        out.extend((!length).to_le_bytes());
        out.extend(*block);
    }
    out.extend(adler32(data).to_be_bytes());
    out
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend((data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend(kind);
    out.extend(data);
    let crc = crc32(&out[start..]);
    out.extend(crc.to_be_bytes());
}

/// A complete, decodable PNG: 8-bit greyscale, every pixel black.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 0, 0, 0, 0]);
    png_chunk(&mut out, b"IHDR", &ihdr);
    // Each scanline: filter type 0, then one byte per pixel.
    let pixels = vec![0u8; (width as usize + 1) * height as usize];
    png_chunk(&mut out, b"IDAT", &zlib_stored(&pixels));
    png_chunk(&mut out, b"IEND", &[]);
    out
}

fn jpeg_segment(out: &mut Vec<u8>, marker: u8, data: &[u8]) {
    out.extend([0xFF, marker]);
    out.extend((data.len() as u16 + 2).to_be_bytes());
    out.extend(data);
}

/// A baseline JPEG up to its frame header: SOI, JFIF APP0, `exif` bytes of APP1 (EXIF-like)
/// segments pushing the SOF0 deeper, SOF0 with the dimensions, EOI. No scan data.
pub fn jpeg(width: u16, height: u16, exif: usize) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8];
    jpeg_segment(&mut out, 0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    let mut left = exif;
    while left > 0 {
        let take = left.min(65_533 - 6);
        let mut data = b"Exif\0\0".to_vec();
        data.resize(6 + take, 0);
        jpeg_segment(&mut out, 0xE1, &data);
        left -= take;
    }
    let mut sof = vec![8];
    sof.extend(height.to_be_bytes());
    sof.extend(width.to_be_bytes());
    sof.extend([3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    jpeg_segment(&mut out, 0xC0, &sof);
    out.extend([0xFF, 0xD9]);
    out
}

fn riff_webp(chunk: &[u8]) -> Vec<u8> {
    let mut out = b"RIFF".to_vec();
    out.extend((4 + chunk.len() as u32).to_le_bytes());
    out.extend(b"WEBP");
    out.extend(chunk);
    out
}

/// An extended-format WebP: the VP8X chunk carries the canvas size.
pub fn webp_vp8x(width: u32, height: u32) -> Vec<u8> {
    let mut chunk = b"VP8X".to_vec();
    chunk.extend(10u32.to_le_bytes());
    chunk.extend([0; 4]);
    chunk.extend(&(width - 1).to_le_bytes()[..3]);
    chunk.extend(&(height - 1).to_le_bytes()[..3]);
    riff_webp(&chunk)
}

/// A lossless WebP header: signature 0x2F, then 14-bit width-1 and height-1.
pub fn webp_vp8l(width: u32, height: u32) -> Vec<u8> {
    let mut chunk = b"VP8L".to_vec();
    chunk.extend(5u32.to_le_bytes());
    chunk.push(0x2F);
    chunk.extend(((width - 1) | ((height - 1) << 14)).to_le_bytes());
    chunk.push(0); // RIFF pads odd-sized chunks
    riff_webp(&chunk)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_images_are_well_formed() {
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
        let file = png(3, 2);
        assert!(file.ends_with(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]));
        let riff = webp_vp8l(1, 1);
        assert_eq!(
            u32::from_le_bytes(riff[4..8].try_into().unwrap()) as usize,
            riff.len() - 8
        );
    }
}
