//! Zips made in memory for the upload tests: each member written by its closure in pieces
//! (1 GiB of zeros never sits in memory).

use std::io::Write;

/// Writes one member's bytes.
pub type Writer = Box<dyn Fn(&mut dyn Write)>;

/// A zip of `files` (deflated, level 9, large-file headers).
pub fn zip_of(files: Vec<(&str, Writer)>) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut out);
        for (name, write) in files {
            w.start_file(
                name,
                zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Deflated)
                    .compression_level(Some(9))
                    .large_file(true),
            )
            .unwrap();
            write(&mut w);
        }
        w.finish().unwrap();
    }
    out.into_inner()
}
