//! Uploaded site files, read where they cannot hurt the server.
//!
//! `POST /api/v1/sites/parse` hands the upload to a child process — this same binary, run as
//! `quyhoach __read-site` — and waits for its answer on a pipe. The child first fences itself
//! in, then reads the file with [`quyhoach_data::site::read_site_in`]:
//! - resource limits (`setrlimit`): CPU seconds, data memory, file size, open files, no core
//!   dumps ([`CHILD_CPU_SECONDS`], [`CHILD_DATA_BYTES`], …);
//! - a seccomp filter: no sockets (so no network, whatever GDAL or PROJ try: `/vsicurl/`,
//!   a GeoJSON `crs` link), no `execve`, no `ptrace`. The child refuses to read anything if
//!   the filter cannot be installed;
//! - Landlock, where the kernel has it: files can be read only under `/usr` (GDAL's and
//!   PROJ's data, the libraries) and in the upload's own directory.
//!
//! The parent bounds the rest: wall time ([`READ_TIMEOUT`], then the child is killed), how
//! many children run at once ([`MAX_CONCURRENT_READS`]), the size of the answer, and the
//! upload's directory, which it creates and removes on every path (the child may die by a
//! signal; the server sweeps directories of dead servers at start). A child that crashes
//! costs one request an answer of 422; the service goes on. The child's answer is parsed by
//! the same strict parser as a drawn site, so even a subverted child cannot send more.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use quyhoach_data::site::{read_capped, read_site_in, SiteError, Skipped};
use quyhoach_data::srs::SrsSpec;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::error::AppError;

/// The hidden subcommand the child runs.
pub const CHILD_COMMAND: &str = "__read-site";
/// Longest an upload may take to read, wall time, before its reader is killed. A 2 MB
/// GeoPackage of 20,000 vertices reads in well under a second.
pub const READ_TIMEOUT: Duration = Duration::from_secs(20);
/// CPU seconds of one reader: a backstop under the wall-time limit.
pub const CHILD_CPU_SECONDS: u64 = 15;
/// Memory a reader may allocate (heap and anonymous maps, `RLIMIT_DATA`). GDAL reading the
/// largest accepted upload (32 MiB unpacked) needs a fraction of this; a file that makes it
/// allocate more is not a site boundary.
pub const CHILD_DATA_BYTES: u64 = 1024 * 1024 * 1024;
/// Largest file a reader may write: the unpacked zip, plus room for GDAL's own side files.
pub const CHILD_FILE_BYTES: u64 = quyhoach_data::site::MAX_UNZIPPED_BYTES + 8 * 1024 * 1024;
/// Open files of a reader.
pub const CHILD_OPEN_FILES: u64 = 64;
/// Readers running at once; more uploads wait up to [`QUEUE_WAIT`]. Two cores, two readers.
pub const MAX_CONCURRENT_READS: usize = 2;
/// Longest an upload waits for a free reader before it is answered 503.
pub const QUEUE_WAIT: Duration = Duration::from_secs(10);
/// Largest answer read from a reader: 20,000 vertices as JSON are about 1 MB.
const MAX_ANSWER_BYTES: usize = 8 * 1024 * 1024;
/// Prefix of upload directories in the system's temporary directory.
const DIR_PREFIX: &str = "quyhoach-upload-";

/// How the server runs readers.
#[derive(Clone)]
pub struct Uploads {
    /// The `quyhoach` binary that runs as the reader; `None` when it cannot be found (uploads
    /// are then answered 503).
    pub reader: Option<PathBuf>,
    slots: Arc<tokio::sync::Semaphore>,
}

impl Default for Uploads {
    fn default() -> Self {
        Uploads::with_reader(find_reader())
    }
}

impl Uploads {
    /// Readers run as `reader __read-site`.
    pub fn with_reader(reader: Option<PathBuf>) -> Self {
        Uploads {
            reader,
            slots: Arc::new(tokio::sync::Semaphore::new(MAX_CONCURRENT_READS)),
        }
    }
}

/// The `quyhoach` binary: `QUYHOACH_SITE_READER`, this executable if it is `quyhoach`, or a
/// `quyhoach` beside it or one directory up (tests run from `target/*/deps/`).
pub fn find_reader() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("QUYHOACH_SITE_READER") {
        return Some(PathBuf::from(p));
    }
    let exe = std::env::current_exe().ok()?;
    if exe.file_stem().is_some_and(|s| s == "quyhoach") {
        return Some(exe);
    }
    let dir = exe.parent()?;
    [dir.join("quyhoach"), dir.join("../quyhoach")]
        .into_iter()
        .find(|p| p.is_file())
}

/// What a reader sends back.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Answer {
    Ok {
        geometry: Value,
        format: String,
        layer: String,
        srs: String,
        skipped: Vec<Skipped>,
        skipped_count: u64,
    },
    Error(SiteError),
}

/// An upload read as a site: the GeoJSON geometry (checked by the drawn-site parser) and
/// what the reader said about it.
pub struct ReadSite {
    /// The site, WGS 84.
    pub site: geo_types::MultiPolygon<f64>,
    /// `shapefile`, `kml`, `geojson` or `gpkg`.
    pub format: String,
    /// The layer read.
    pub layer: String,
    /// The reference system the coordinates were read in.
    pub srs: String,
    /// Features not used and why.
    pub skipped: Vec<Skipped>,
    /// How many features were not used.
    pub skipped_count: u64,
}

fn site_error(e: SiteError) -> AppError {
    match e {
        SiteError::TooLarge(m) => AppError::TooLarge(m),
        SiteError::Io(m) => AppError::Internal(format!("upload reader: {m}")),
        SiteError::Format(m) | SiteError::Empty(m) | SiteError::Srs(m) => {
            AppError::Unprocessable(m)
        }
    }
}

/// Reads an upload in a sandboxed child process.
pub async fn read_site(uploads: &Uploads, bytes: &[u8], srs: &str) -> Result<ReadSite, AppError> {
    let reader = uploads.reader.as_ref().ok_or_else(|| {
        AppError::Unavailable(
            "file uploads are not available on this server (no reader program); draw the site or send GeoJSON to /api/v1/report".into(),
        )
    })?;
    let _slot = tokio::time::timeout(QUEUE_WAIT, uploads.slots.acquire())
        .await
        .map_err(|_| {
            AppError::Unavailable(
                "the server is reading other uploads; try again in a moment".into(),
            )
        })?
        .map_err(|_| AppError::Internal("upload slots closed".into()))?;
    let dir = tempfile::Builder::new()
        .prefix(&format!("{DIR_PREFIX}{}-", std::process::id()))
        .tempdir()
        .map_err(|e| AppError::Internal(format!("upload directory: {e}")))?;
    let mut cmd = tokio::process::Command::new(reader);
    cmd.arg(CHILD_COMMAND)
        .arg("--dir")
        .arg(dir.path())
        .arg("--srs")
        .arg(srs)
        .env_clear()
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    // Only what GDAL and PROJ need to find their data.
    for k in ["PATH", "GDAL_DATA", "PROJ_LIB", "PROJ_DATA", "QUYHOACH_LOG"] {
        if let Some(v) = std::env::var_os(k) {
            cmd.env(k, v);
        }
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| AppError::Internal(format!("starting the upload reader: {e}")))?;
    let mut stdin = child.stdin.take();
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let work = async {
        let feed = async {
            if let Some(mut s) = stdin.take() {
                // A reader that dies early closes the pipe: that is its answer, not ours.
                let _ = s.write_all(bytes).await;
            }
        };
        let out = async {
            let mut buf = Vec::new();
            if let Some(s) = stdout.as_mut() {
                let _ = s
                    .take(MAX_ANSWER_BYTES as u64 + 1)
                    .read_to_end(&mut buf)
                    .await;
            }
            buf
        };
        let err = async {
            let mut buf = Vec::new();
            if let Some(s) = stderr.as_mut() {
                let _ = s.take(16 * 1024).read_to_end(&mut buf).await;
            }
            buf
        };
        let ((), out, err) = tokio::join!(feed, out, err);
        let status = child.wait().await;
        (out, err, status)
    };
    let (out, err, status) = match tokio::time::timeout(READ_TIMEOUT, work).await {
        Ok(r) => r,
        Err(_) => {
            // `kill_on_drop` ends the reader; the directory goes with `dir`.
            return Err(AppError::Unprocessable(format!(
                "the file took longer than {} s to read and was given up; a site boundary reads in well under a second",
                READ_TIMEOUT.as_secs()
            )));
        }
    };
    let status = status.map_err(|e| AppError::Internal(format!("upload reader: {e}")))?;
    if !status.success() || out.len() > MAX_ANSWER_BYTES {
        let how = match std::os::unix::process::ExitStatusExt::signal(&status) {
            Some(sig) => format!("signal {sig}"),
            None => format!("exit {}", status.code().unwrap_or(-1)),
        };
        tracing::warn!(
            "upload reader stopped ({how}): {}",
            String::from_utf8_lossy(&err).trim()
        );
        if String::from_utf8_lossy(&err).contains("sandbox unavailable") {
            return Err(AppError::Unavailable(
                "file uploads are turned off on this server: its reader cannot be sandboxed here"
                    .into(),
            ));
        }
        return Err(AppError::Unprocessable(
            "the file could not be read: the reader stopped on it (a damaged file, or one far larger than a site boundary once unpacked)".into(),
        ));
    }
    let answer: Answer = serde_json::from_slice(&out)
        .map_err(|e| AppError::Internal(format!("upload reader answered nonsense: {e}")))?;
    drop(dir);
    match answer {
        Answer::Error(e) => Err(site_error(e)),
        Answer::Ok {
            geometry,
            format,
            layer,
            srs,
            skipped,
            skipped_count,
        } => {
            let site = crate::geojson::parse_site(&geometry)?;
            Ok(ReadSite {
                site,
                format,
                layer,
                srs,
                skipped,
                skipped_count,
            })
        }
    }
}

/// Removes upload directories left by servers that are no longer running (killed while a
/// reader ran). Returns how many were removed.
pub fn sweep_stale_dirs() -> usize {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return 0;
    };
    let mut removed = 0;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let Some(rest) = name.strip_prefix(DIR_PREFIX) else {
            continue;
        };
        let pid = rest.split('-').next().unwrap_or("");
        let alive = pid
            .parse::<u32>()
            .is_ok_and(|p| Path::new(&format!("/proc/{p}")).exists());
        if !alive && std::fs::remove_dir_all(e.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// The reader: fences itself in, reads the upload from standard input, answers on standard
/// output. Run by [`read_site`] as `quyhoach __read-site --dir DIR --srs SRS`.
pub fn child_main(dir: &Path, srs: &str) -> ExitCode {
    if let Err(e) = sandbox::enter(dir) {
        eprintln!("sandbox unavailable: {e}");
        return ExitCode::from(3);
    }
    let answer = match srs.parse::<SrsSpec>() {
        Err(e) => Answer::Error(SiteError::Srs(e.to_string())),
        Ok(spec) => match read_capped(&mut std::io::stdin().lock(), crate::MAX_BODY_BYTES) {
            Err(e) => Answer::Error(SiteError::Io(e.kind().to_string())),
            Ok(None) => Answer::Error(SiteError::TooLarge("the upload is too large".into())),
            Ok(Some(bytes)) => match read_site_in(dir, &bytes, &spec) {
                Err(e) => Answer::Error(e),
                Ok(r) => Answer::Ok {
                    geometry: crate::geojson::geometry_to_json(&geo_types::Geometry::MultiPolygon(
                        r.site,
                    )),
                    format: r.format,
                    layer: r.layer,
                    srs: r.srs,
                    skipped: r.skipped,
                    skipped_count: r.skipped_count,
                },
            },
        },
    };
    let mut out = std::io::stdout().lock();
    let written = serde_json::to_writer(&mut out, &answer).is_ok() && out.flush().is_ok();
    if written {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

pub mod sandbox {
    //! The reader's fence: resource limits, Landlock (best effort), seccomp (required).

    use std::collections::BTreeMap;
    use std::path::Path;

    use super::{CHILD_CPU_SECONDS, CHILD_DATA_BYTES, CHILD_FILE_BYTES, CHILD_OPEN_FILES};

    /// Enters the sandbox: after this the process cannot open sockets, run programs, or
    /// (with Landlock) read files outside `/usr` and `dir`.
    pub fn enter(dir: &Path) -> Result<(), String> {
        use rlimit::Resource;
        for (res, v) in [
            (Resource::CPU, CHILD_CPU_SECONDS),
            (Resource::DATA, CHILD_DATA_BYTES),
            (Resource::FSIZE, CHILD_FILE_BYTES),
            (Resource::NOFILE, CHILD_OPEN_FILES),
            (Resource::CORE, 0),
        ] {
            rlimit::setrlimit(res, v, v).map_err(|e| format!("setrlimit {res:?}: {e}"))?;
        }
        if let Err(e) = landlock(dir) {
            // Best effort: the driver allow-list and seccomp still hold.
            eprintln!("landlock not enforced: {e}");
        }
        seccomp()
    }

    fn landlock(dir: &Path) -> Result<(), String> {
        use landlock::{
            path_beneath_rules, Access, AccessFs, Ruleset, RulesetAttr, RulesetCreatedAttr,
            RulesetStatus, ABI,
        };
        let abi = ABI::V3;
        let read: Vec<&str> = ["/usr", "/lib", "/lib64", "/dev/null", "/dev/urandom"]
            .into_iter()
            .filter(|p| Path::new(p).exists())
            .collect();
        let status = Ruleset::default()
            .handle_access(AccessFs::from_all(abi))
            .map_err(|e| e.to_string())?
            .create()
            .map_err(|e| e.to_string())?
            .add_rules(path_beneath_rules(read, AccessFs::from_read(abi)))
            .map_err(|e| e.to_string())?
            .add_rules(path_beneath_rules([dir], AccessFs::from_all(abi)))
            .map_err(|e| e.to_string())?
            .restrict_self()
            .map_err(|e| e.to_string())?;
        match status.ruleset {
            RulesetStatus::NotEnforced => Err("the kernel does not support Landlock".into()),
            _ => Ok(()),
        }
    }

    fn seccomp() -> Result<(), String> {
        use seccompiler::{BpfProgram, SeccompAction, SeccompFilter, SeccompRule, TargetArch};
        let denied = [
            libc::SYS_socket,
            libc::SYS_socketpair,
            libc::SYS_connect,
            libc::SYS_execve,
            libc::SYS_execveat,
            libc::SYS_ptrace,
            libc::SYS_process_vm_writev,
            libc::SYS_process_vm_readv,
        ];
        let rules: BTreeMap<i64, Vec<SeccompRule>> =
            denied.into_iter().map(|n| (n, Vec::new())).collect();
        let arch: TargetArch = std::env::consts::ARCH
            .try_into()
            .map_err(|e| format!("seccomp: {e:?}"))?;
        let filter = SeccompFilter::new(
            rules,
            SeccompAction::Allow,
            SeccompAction::Errno(libc::EACCES as u32),
            arch,
        )
        .map_err(|e| format!("seccomp: {e}"))?;
        let prog: BpfProgram = filter.try_into().map_err(|e| format!("seccomp: {e:?}"))?;
        seccompiler::apply_filter(&prog).map_err(|e| format!("seccomp: {e}"))
    }
}
