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
//!
//! The practice import of the data-preparation lesson runs in the same fence, as
//! `quyhoach __practice-import` ([`practice_import`], [`practice_child_main`]): the real
//! import of a trainee's small file into a throwaway store inside the child's directory, with
//! only the file's own GDAL driver allowed, its own slots ([`MAX_CONCURRENT_PRACTICE`]) and
//! caps on features and vertices counted before the import reads the file.

use std::ffi::OsString;
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
/// The hidden subcommand of the practice import's child (the data-preparation lesson).
pub const PRACTICE_COMMAND: &str = "__practice-import";
/// Practice imports running at once: a lesson's uploads are tiny, and a room of trainees
/// must not take the cores the public's site reports need.
pub const MAX_CONCURRENT_PRACTICE: usize = 2;
/// Longest a practice upload waits for a free slot before it is answered 503 with
/// `Retry-After` ([`PRACTICE_RETRY_AFTER`]).
pub const PRACTICE_QUEUE_WAIT: Duration = Duration::from_secs(3);
/// Seconds a trainee is told to wait when every practice slot is taken.
pub const PRACTICE_RETRY_AFTER: u64 = 5;
/// Most repaired and rejected features listed one by one in a practice report (all are
/// counted).
pub const PRACTICE_LISTED: usize = 50;
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
    /// Practice imports running at once (apart from the site readers).
    practice_slots: Arc<tokio::sync::Semaphore>,
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
            practice_slots: Arc::new(tokio::sync::Semaphore::new(MAX_CONCURRENT_PRACTICE)),
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
    let dir = upload_dir()?;
    let args = [
        OsString::from(CHILD_COMMAND),
        "--dir".into(),
        dir.path().into(),
        "--srs".into(),
        srs.into(),
    ];
    let Some(ran) = run_fenced(reader, &args, None, bytes).await? else {
        // `kill_on_drop` ended the reader; the directory goes with `dir`.
        return Err(AppError::Unprocessable(format!(
            "the file took longer than {} s to read and was given up; a site boundary reads in well under a second",
            READ_TIMEOUT.as_secs()
        )));
    };
    let out = ran.answer("upload reader", "file uploads")?;
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

/// A new upload directory, named for this server so that [`sweep_stale_dirs`] finds it if
/// the server dies; removed when dropped.
fn upload_dir() -> Result<tempfile::TempDir, AppError> {
    tempfile::Builder::new()
        .prefix(&format!("{DIR_PREFIX}{}-", std::process::id()))
        .tempdir()
        .map_err(|e| AppError::Internal(format!("upload directory: {e}")))
}

/// What a fenced child left: its answer, its complaints and how it ended.
struct Ran {
    out: Vec<u8>,
    err: Vec<u8>,
    status: std::process::ExitStatus,
}

impl Ran {
    /// The answer of a child that ended well; otherwise the error to give the request.
    fn answer(self, who: &str, what: &str) -> Result<Vec<u8>, AppError> {
        let status = self.status;
        if !status.success() || self.out.len() > MAX_ANSWER_BYTES {
            let how = match std::os::unix::process::ExitStatusExt::signal(&status) {
                Some(sig) => format!("signal {sig}"),
                None => format!("exit {}", status.code().unwrap_or(-1)),
            };
            let err = String::from_utf8_lossy(&self.err);
            tracing::warn!("{who} stopped ({how}): {}", err.trim());
            if err.contains("sandbox unavailable") {
                return Err(AppError::Unavailable(format!(
                    "{what} are turned off on this server: its reader cannot be sandboxed here"
                )));
            }
            return Err(AppError::Unprocessable(
                "the file could not be read: the reader stopped on it (a damaged file, or one far larger than a site boundary once unpacked)".into(),
            ));
        }
        Ok(self.out)
    }
}

/// Runs `reader args…` with a clean environment, feeds it `bytes` on standard input and
/// collects its answer, within [`READ_TIMEOUT`]; `None` when it ran out of time (it is then
/// killed).
async fn run_fenced(
    reader: &Path,
    args: &[OsString],
    tmp: Option<&Path>,
    bytes: &[u8],
) -> Result<Option<Ran>, AppError> {
    let mut cmd = tokio::process::Command::new(reader);
    cmd.args(args)
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
    // Temporary files (the FlatGeobuf writer's) in the child's own directory: Landlock
    // lets it write nowhere else.
    if let Some(t) = tmp {
        cmd.env("TMPDIR", t);
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
    match tokio::time::timeout(READ_TIMEOUT, work).await {
        Ok((out, err, status)) => {
            let status = status.map_err(|e| AppError::Internal(format!("upload reader: {e}")))?;
            Ok(Some(Ran { out, err, status }))
        }
        Err(_) => Ok(None),
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

/// What the practice import is asked to do: the query parameters of
/// `POST /api/v1/practice/import`, checked by the server and again by the child.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PracticeParams {
    /// `parcels`, `boundaries` or `roads`.
    pub kind: String,
    /// As `quyhoach import --srs`.
    pub srs: String,
    /// `auto` or an encoding name.
    pub encoding: String,
    /// `TARGET=SOURCE` pairs.
    pub mappings: Vec<(String, String)>,
    /// Mapping profile (`auto` tries them all).
    pub profile: String,
    /// The source layer, when the file has several.
    pub layer: Option<String>,
}

/// Kinds a practice import takes: zones and red lines belong to plans, which a throwaway
/// store does not have.
pub const PRACTICE_KINDS: [&str; 3] = ["parcels", "boundaries", "roads"];

/// Most `map=` pairs of a practice import.
pub const PRACTICE_MAX_MAPPINGS: usize = 20;

/// A practice parameter or upload problem, as the child words it: `kind` is `params` (400),
/// `file` (422), `too_large` (413) or `internal` (500).
#[derive(Debug, Serialize, Deserialize)]
struct PracticeProblem {
    kind: String,
    message: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum PracticeAnswer {
    Ok(Value),
    Error(PracticeProblem),
}

impl PracticeParams {
    /// The import's options for an upload written at `source`, into the throwaway `store`,
    /// with only `driver` allowed to open it. `Err` says what is wrong with a parameter.
    pub fn options(
        &self,
        source: &Path,
        store: &Path,
        driver: &str,
    ) -> Result<quyhoach_data::import::ImportOptions, String> {
        use quyhoach_data::schema::Kind;
        if !PRACTICE_KINDS.contains(&self.kind.as_str()) {
            return Err(format!(
                "kind={}: the practice import takes {} (zones and red lines belong to a plan of the store)",
                self.kind,
                PRACTICE_KINDS.join(", ")
            ));
        }
        let kind: Kind = self.kind.parse()?;
        let srs: SrsSpec = self
            .srs
            .parse()
            .map_err(|e: quyhoach_data::srs::SrsError| web_words(&e.to_string()))?;
        let encoding = match self.encoding.trim() {
            "" | "auto" => None,
            e => Some(
                e.parse::<quyhoach_data::encoding::TextEncoding>()
                    .map_err(|e| format!("encoding: {e}; or auto"))?,
            ),
        };
        quyhoach_data::schema::profiles_named(&self.profile)
            .map_err(|e| format!("profile: {e}"))?;
        if self.mappings.len() > PRACTICE_MAX_MAPPINGS {
            return Err(format!(
                "at most {PRACTICE_MAX_MAPPINGS} map= pairs (a schema has fewer fields)"
            ));
        }
        for (target, src) in &self.mappings {
            if target.is_empty() || src.is_empty() {
                return Err(format!(
                    "map={target}={src}: give TARGET=SOURCE, e.g. map=sheet=TO_SO"
                ));
            }
            quyhoach_data::schema::check_map_target(kind, target)
                .map_err(|e| format!("map={target}=…: {e}"))?;
        }
        Ok(quyhoach_data::import::ImportOptions {
            source_layer: self.layer.clone(),
            encoding,
            mappings: self.mappings.clone(),
            profile: self.profile.clone(),
            allowed_drivers: Some(vec![driver.to_string()]),
            ..quyhoach_data::import::ImportOptions::new(source, kind, store, srs)
        })
    }
}

/// The importer's command-line words as the endpoint's query parameters.
pub fn web_words(text: &str) -> String {
    text.replace("--srs ", "srs=")
        .replace("--map ", "map=")
        .replace("--layer-name", "layer=")
        .replace("--profile ", "profile=")
}

/// Why a practice import gave no report.
pub enum PracticeFailure {
    /// Every slot is taken: answer 503 with `Retry-After`.
    Busy,
    /// The parameters, the file or the server.
    Failed(AppError),
}

impl From<AppError> for PracticeFailure {
    fn from(e: AppError) -> Self {
        PracticeFailure::Failed(e)
    }
}

/// The keys of an import report that a practice answer may carry, as the child sends them.
const REPORT_KEYS: &[&str] = &[
    "layer",
    "kind",
    "source",
    "source_layer",
    "driver",
    "srs",
    "srs_definition",
    "encoding",
    "encoding_detected",
    "read",
    "written",
    "repaired_count",
    "rejected_count",
    "repaired",
    "rejected",
    "converted",
    "codes_mapped",
    "codes_unknown",
    "values_dropped",
    "field_map",
    "fields_ignored",
    "personal_fields_dropped",
    "warnings",
    "bounds",
    "seconds",
];

/// Runs the real import of an upload into a throwaway store, in a fenced child process
/// (`quyhoach __practice-import`), and returns its report (the JSON `quyhoach import
/// --report` writes, less the server's paths, lists cut at [`PRACTICE_LISTED`]).
pub async fn practice_import(
    uploads: &Uploads,
    bytes: &[u8],
    params: &PracticeParams,
) -> Result<Value, PracticeFailure> {
    let reader = uploads.reader.as_ref().ok_or_else(|| {
        AppError::Unavailable(
            "the practice import is not available on this server (no reader program)".into(),
        )
    })?;
    let _slot =
        match tokio::time::timeout(PRACTICE_QUEUE_WAIT, uploads.practice_slots.acquire()).await {
            Err(_) => return Err(PracticeFailure::Busy),
            Ok(slot) => slot.map_err(|_| AppError::Internal("practice slots closed".into()))?,
        };
    let dir = upload_dir()?;
    let json = serde_json::to_string(params)
        .map_err(|e| AppError::Internal(format!("practice parameters: {e}")))?;
    let args = [
        OsString::from(PRACTICE_COMMAND),
        "--dir".into(),
        dir.path().into(),
        "--params".into(),
        json.into(),
    ];
    let Some(ran) = run_fenced(reader, &args, Some(dir.path()), bytes).await? else {
        return Err(AppError::Unprocessable(format!(
            "the import took longer than {} s and was stopped; a practice file of a few hundred features imports in well under a second",
            READ_TIMEOUT.as_secs()
        ))
        .into());
    };
    let out = ran.answer("practice import", "practice imports")?;
    let answer: PracticeAnswer = serde_json::from_slice(&out)
        .map_err(|e| AppError::Internal(format!("practice import answered nonsense: {e}")))?;
    // The throwaway store and the upload go now, whatever the answer.
    drop(dir);
    match answer {
        PracticeAnswer::Error(p) => Err(match p.kind.as_str() {
            "params" => AppError::BadRequest(p.message),
            "too_large" => AppError::TooLarge(p.message),
            "file" => AppError::Unprocessable(p.message),
            _ => AppError::Internal(format!("practice import: {}", p.message)),
        }
        .into()),
        PracticeAnswer::Ok(report) => {
            // Only the report's own members, whatever the child sent.
            let Value::Object(mut m) = report else {
                return Err(AppError::Internal("practice import: no report".into()).into());
            };
            m.retain(|k, _| REPORT_KEYS.contains(&k.as_str()));
            for k in ["repaired", "rejected", "warnings", "fields_ignored"] {
                if let Some(Value::Array(a)) = m.get_mut(k) {
                    a.truncate(PRACTICE_LISTED);
                }
            }
            Ok(Value::Object(m))
        }
    }
}

/// The practice import's child: fences itself in, reads the upload from standard input,
/// writes it into `dir/upload` as a site upload is written (our own unzip, four formats,
/// caps), imports it with the real import into the throwaway store `dir/store` with only that
/// format's GDAL driver allowed, and answers the report on standard output. Run by
/// [`practice_import`] as `quyhoach __practice-import --dir DIR --params JSON`.
pub fn practice_child_main(dir: &Path, params: &str) -> ExitCode {
    if let Err(e) = sandbox::enter(dir) {
        eprintln!("sandbox unavailable: {e}");
        return ExitCode::from(3);
    }
    let answer = practice_in(dir, params);
    let mut out = std::io::stdout().lock();
    let written = serde_json::to_writer(&mut out, &answer).is_ok() && out.flush().is_ok();
    if written {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn practice_in(dir: &Path, params: &str) -> PracticeAnswer {
    use quyhoach_data::import::ImportError;
    let problem = |kind: &str, message: String| {
        // Messages never name the child's directory.
        let shown = dir.display().to_string();
        let message = web_words(&message)
            .replace(&format!("{shown}/upload/"), "")
            .replace(&shown, "")
            // The site reader's words, for a practice file.
            .replace(
                "a zipped Shapefile (.zip with .shp, .shx, .dbf and .prj), KML, GeoJSON or GeoPackage",
                "a zipped Shapefile (.zip with .shp, .shx and .dbf, and .prj and .cpg when there are), GeoJSON or GeoPackage",
            )
            .replace(
                "a site boundary is far smaller (simplify it, or send only its polygons)",
                "a practice file is far smaller",
            );
        PracticeAnswer::Error(PracticeProblem {
            kind: kind.into(),
            message,
        })
    };
    let params: PracticeParams = match serde_json::from_str(params) {
        Ok(p) => p,
        Err(e) => return problem("internal", format!("parameters: {e}")),
    };
    let bytes = match read_capped(&mut std::io::stdin().lock(), crate::MAX_BODY_BYTES) {
        Err(e) => return problem("internal", e.kind().to_string()),
        Ok(None) => return problem("too_large", "the upload is too large".into()),
        Ok(Some(b)) => b,
    };
    let upload_dir = dir.join("upload");
    let store = dir.join("store");
    if let Err(e) = std::fs::create_dir(&upload_dir) {
        return problem("internal", e.kind().to_string());
    }
    // Checked before the file is touched: a wrong parameter costs nothing.
    if let Err(m) = params.options(Path::new("x"), &store, "GeoJSON") {
        return problem("params", m);
    }
    let written = match quyhoach_data::site::write_upload(&upload_dir, &bytes) {
        Ok(w) if w.format == "kml" => {
            return problem(
                "file",
                "the practice import takes a zipped Shapefile, GeoJSON or GeoPackage, not KML"
                    .into(),
            )
        }
        Ok(w) => w,
        Err(SiteError::TooLarge(m)) => return problem("too_large", m),
        Err(SiteError::Io(m)) => return problem("internal", m),
        Err(e) => return problem("file", e.to_string()),
    };
    quyhoach_data::site::lock_down_gdal();
    if let Err(m) = quyhoach_data::practice::check_practice_size(&written.path, written.driver) {
        return problem("too_large", m);
    }
    let opts = match params.options(&written.path, &store, written.driver) {
        Ok(o) => o,
        Err(m) => return problem("params", m),
    };
    match quyhoach_data::import::import(&opts) {
        Ok(mut report) => {
            report.source = written
                .path
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            report.repaired.truncate(PRACTICE_LISTED);
            report.rejected.truncate(PRACTICE_LISTED);
            for r in report.rejected.iter_mut().chain(report.repaired.iter_mut()) {
                r.reason = web_words(&r.reason);
            }
            match serde_json::to_value(&report) {
                Ok(v) => PracticeAnswer::Ok(v),
                Err(e) => problem("internal", e.to_string()),
            }
        }
        Err(
            e @ (ImportError::Options(_)
            | ImportError::MissingField { .. }
            | ImportError::Srs(_)
            | ImportError::OutsideVietnam { .. }
            | ImportError::LayerNotFound { .. }
            | ImportError::ChooseLayer { .. }),
        ) => problem("params", e.to_string()),
        Err(
            e @ (ImportError::Open { .. }
            | ImportError::EmptyLayer { .. }
            | ImportError::AllRejected { .. }),
        ) => problem("file", e.to_string()),
        Err(e) => problem("internal", e.to_string()),
    }
}
