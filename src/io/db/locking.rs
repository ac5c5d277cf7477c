//! Locks that belong to this addon's SQLite, and only to it.
//!
//! The app's better-sqlite3 and this addon's bundled SQLite are two copies of
//! the library in one process. Their file locks are POSIX record locks, which
//! belong to the *process*: when either copy unlocks a byte range, or closes
//! any descriptor of the file, the other copy's locks on it are gone too; and
//! `F_GETLK` never reports the calling process's own locks, so a copy can take
//! itself for the only user of a WAL's `-shm` and re-initialise it under the
//! other. (SQLite documents the hazard: "How To Corrupt An SQLite Database
//! File", §2.2.1.)
//!
//! This module changes three system calls of *our* copy, through the unix
//! VFS's `xSetSystemCall` (every unix VFS of the copy shares them; the app's
//! copy is not touched):
//!
//! * `fcntl` lock requests become open-file-description locks (`F_OFD_*`,
//!   Linux ≥ 3.15, macOS). They conflict with the app's POSIX locks and with
//!   other processes' exactly as SQLite expects — `F_OFD_GETLK` does report the
//!   app's locks — but belong to a descriptor, so our unlocks never touch the
//!   app's. SQLite keeps one lock state per file per process (its
//!   `unixInodeInfo`) and may take a lock through one connection's descriptor
//!   and release it through another's; so all our locks on a file are placed
//!   on one descriptor of our own, opened for it once ([`State::lock_fd`]).
//! * `close` never closes a regular file: closing *any* descriptor of a file
//!   releases the process's POSIX locks on it, the app's included. The
//!   descriptor is parked instead, its locks released when the last of ours on
//!   that file goes, and
//! * `open` hands a parked descriptor of the same file and access mode back
//!   instead of opening another, so descriptors do not pile up. Parked
//!   descriptors of files that were deleted (journals, a replaced database)
//!   are really closed: nobody can hold a lock on a file that is gone for
//!   anyone who opens it by name.
//!
//! Windows needs none of this: a lock there belongs to its handle.

/// What protects the app's locks from this addon's SQLite on this platform.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum LockOwnership {
    /// Locks of our own descriptors (unix with open-file-description locks).
    OwnDescriptors,
    /// Locks belong to their handle (Windows): nothing to do.
    PerHandle,
    /// This kernel has no open-file-description locks: our SQLite shares the
    /// process's POSIX locks with any other copy in the process.
    SharedWithProcess,
}

/// Installs the system-call overrides (once, before the first connection opens)
/// and says what they give on this platform.
pub fn install() -> LockOwnership {
    imp::install()
}

#[cfg(unix)]
mod imp {
    use std::collections::HashMap;
    use std::ffi::{c_char, c_int, CStr};
    use std::sync::{Mutex, MutexGuard, OnceLock};

    use rusqlite::ffi;

    use super::LockOwnership;

    #[cfg(target_os = "linux")]
    const OFD: [c_int; 3] = [libc::F_OFD_GETLK, libc::F_OFD_SETLK, libc::F_OFD_SETLKW];
    /// XNU's values (bsd/sys/fcntl.h); not in the public headers.
    #[cfg(target_os = "macos")]
    const OFD: [c_int; 3] = [92, 90, 91];

    /// A file: device and inode.
    type FileKey = (u64, u64);

    #[derive(Default)]
    struct State {
        /// Descriptors handed to SQLite and not closed by it: the file each names and its access mode.
        open: HashMap<c_int, (FileKey, c_int)>,
        /// How many of them name each file.
        users: HashMap<FileKey, usize>,
        /// The descriptor all our locks on a file live on (opened read-write where possible).
        lock_fd: HashMap<FileKey, c_int>,
        /// Descriptors SQLite closed: file, access mode, descriptor; oldest first.
        parked: Vec<(FileKey, c_int, c_int)>,
    }

    static STATE: Mutex<Option<State>> = Mutex::new(None);
    static INSTALLED: OnceLock<LockOwnership> = OnceLock::new();

    fn state() -> MutexGuard<'static, Option<State>> {
        STATE.lock().unwrap_or_else(|p| p.into_inner())
    }

    extern "C" {
        /// `src/io/db/fcntl_shim.c`: the variadic entry SQLite calls.
        fn aipm_fcntl(fd: c_int, cmd: c_int, ...) -> c_int;
    }

    pub fn install() -> LockOwnership {
        *INSTALLED.get_or_init(|| {
            if !kernel_has_ofd_locks() {
                return LockOwnership::SharedWithProcess;
            }
            *state() = Some(State::default());
            // SAFETY: sqlite3_vfs_find is thread-safe; the unix VFS lives for the
            // process. xSetSystemCall is called before any connection is opened by
            // this crate (every open goes through `crate::io::db::connection`, which installs first).
            unsafe {
                let vfs = ffi::sqlite3_vfs_find(c"unix".as_ptr());
                let set = vfs.as_ref().and_then(|v| v.xSetSystemCall);
                let Some(set) = set else {
                    return LockOwnership::SharedWithProcess;
                };
                let calls: [(&CStr, ffi::sqlite3_syscall_ptr); 3] = [
                    // SQLite casts these back to their real signatures.
                    (
                        c"open",
                        Some(std::mem::transmute::<OpenFn, unsafe extern "C" fn()>(hook_open)),
                    ),
                    (
                        c"close",
                        Some(std::mem::transmute::<CloseFn, unsafe extern "C" fn()>(hook_close)),
                    ),
                    (
                        c"fcntl",
                        Some(std::mem::transmute::<FcntlFn, unsafe extern "C" fn()>(aipm_fcntl)),
                    ),
                ];
                for (name, call) in calls {
                    if set(vfs, name.as_ptr(), call) != ffi::SQLITE_OK {
                        return LockOwnership::SharedWithProcess;
                    }
                }
            }
            LockOwnership::OwnDescriptors
        })
    }

    type OpenFn = unsafe extern "C" fn(*const c_char, c_int, c_int) -> c_int;
    type CloseFn = unsafe extern "C" fn(c_int) -> c_int;
    type FcntlFn = unsafe extern "C" fn(c_int, c_int, ...) -> c_int;

    /// Whether `F_OFD_GETLK` works here (Linux ≥ 3.15; macOS with XNU's OFD locks).
    fn kernel_has_ofd_locks() -> bool {
        let path = std::env::temp_dir().join(format!("aipm-steps-ofd-probe-{}", std::process::id()));
        let Ok(file) = std::fs::File::create(&path) else {
            return false;
        };
        let _ = std::fs::remove_file(&path);
        use std::os::fd::AsRawFd;
        let mut probe = flock(libc::F_WRLCK as i16, 0, 1);
        // SAFETY: a valid descriptor and a valid struct flock.
        let rc = unsafe { libc::fcntl(file.as_raw_fd(), OFD[0], &mut probe) };
        rc == 0
    }

    fn flock(kind: i16, start: i64, len: i64) -> libc::flock {
        // SAFETY: struct flock is plain data; zero is a valid value of every field.
        let mut l: libc::flock = unsafe { std::mem::zeroed() };
        l.l_type = kind as _;
        l.l_whence = libc::SEEK_SET as _;
        l.l_start = start as _;
        l.l_len = len as _;
        l
    }

    #[allow(clippy::unnecessary_cast)] // dev_t and ino_t differ between platforms
    fn file_key(st: &libc::stat) -> FileKey {
        (st.st_dev as u64, st.st_ino as u64)
    }

    fn is_regular(st: &libc::stat) -> bool {
        st.st_mode & libc::S_IFMT == libc::S_IFREG
    }

    fn fstat(fd: c_int) -> Option<libc::stat> {
        // SAFETY: `st` is written by fstat before it is read.
        unsafe {
            let mut st: libc::stat = std::mem::zeroed();
            (libc::fstat(fd, &mut st) == 0).then_some(st)
        }
    }

    /// Runs `f` keeping `errno` as it was: the bookkeeping's own system calls
    /// must not change what SQLite reads after a call.
    fn keeping_errno<T>(f: impl FnOnce() -> T) -> T {
        let saved = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
        let result = f();
        set_errno(saved);
        result
    }

    fn set_errno(value: c_int) {
        // SAFETY: the errno location of the calling thread.
        unsafe {
            #[cfg(target_os = "linux")]
            {
                *libc::__errno_location() = value;
            }
            #[cfg(target_os = "macos")]
            {
                *libc::__error() = value;
            }
        }
    }

    impl State {
        /// SQLite now uses `fd`, a descriptor of `key` opened with `access`.
        fn opened(&mut self, fd: c_int, key: FileKey, access: c_int) {
            self.open.insert(fd, (key, access));
            *self.users.entry(key).or_default() += 1;
            self.ensure_lock_fd(key, fd);
        }

        /// Opens the descriptor for the locks on `key` (a file `fd` names), if there is none yet.
        fn ensure_lock_fd(&mut self, key: FileKey, fd: c_int) -> c_int {
            if let Some(&own) = self.lock_fd.get(&key) {
                return own;
            }
            let (own, stray) = own_descriptor(fd);
            self.lock_fd.insert(key, own);
            self.parked.extend(stray);
            own
        }

        /// A parked descriptor of `key` opened with `access`, taken out of the park.
        fn unpark(&mut self, key: FileKey, access: c_int) -> Option<c_int> {
            let at = self.parked.iter().position(|&(k, a, _)| k == key && a == access)?;
            Some(self.parked.remove(at).2)
        }

        /// The descriptor our locks on the file of `fd` live on.
        fn lock_target(&mut self, fd: c_int) -> c_int {
            if let Some((key, _)) = self.open.get(&fd) {
                if let Some(&target) = self.lock_fd.get(key) {
                    return target;
                }
            }
            // A descriptor opened before the overrides were installed.
            let Some(st) = fstat(fd).filter(is_regular) else {
                return fd;
            };
            self.ensure_lock_fd(file_key(&st), fd)
        }

        /// SQLite closed `fd`.
        fn closed(&mut self, fd: c_int, key: FileKey, access: c_int) {
            let users = self.users.entry(key).or_default();
            *users = users.saturating_sub(1);
            if *users == 0 {
                self.users.remove(&key);
                // With POSIX locks, closing released them: do the same for ours, now
                // that no connection of this copy uses the file.
                if let Some(&target) = self.lock_fd.get(&key) {
                    let mut all = flock(libc::F_UNLCK as i16, 0, 0);
                    // SAFETY: our own descriptor and a valid struct flock.
                    unsafe { libc::fcntl(target, OFD[1], &mut all) };
                }
            }
            self.parked.push((key, access, fd));
            self.close_deleted();
        }

        /// Really closes parked descriptors (and lock descriptors no longer used)
        /// of files that were deleted. Those of live files stay: the next open of
        /// the same file reuses them, so there are never more of them than
        /// descriptors of that file were open at once.
        fn close_deleted(&mut self) {
            let deleted = |fd: c_int| fstat(fd).is_none_or(|st| st.st_nlink == 0);
            self.parked.retain(|&(_, _, fd)| {
                let gone = deleted(fd);
                if gone {
                    // SAFETY: a descriptor SQLite closed and nobody else knows of.
                    unsafe { libc::close(fd) };
                }
                !gone
            });
            let users = &self.users;
            self.lock_fd.retain(|key, fd| {
                let gone = !users.contains_key(key) && deleted(*fd);
                if gone {
                    // SAFETY: our own descriptor of a deleted file nobody of ours uses.
                    unsafe { libc::close(*fd) };
                }
                !gone
            });
        }
    }

    /// A descriptor of our own for the file `fd` names, for its locks: opened
    /// read-write where the file allows (write locks need it), else a duplicate.
    /// Also a descriptor opened by mistake of another file, to be parked (closing
    /// it could release the app's locks on that file).
    fn own_descriptor(fd: c_int) -> (c_int, Option<(FileKey, c_int, c_int)>) {
        #[cfg(target_os = "linux")]
        {
            let proc_path = format!("/proc/self/fd/{fd}\0");
            // SAFETY: a NUL-terminated path; /proc/self/fd/N reopens the very file of N.
            let own = unsafe { libc::open(proc_path.as_ptr().cast(), libc::O_RDWR | libc::O_CLOEXEC) };
            if own >= 0 {
                return (own, None);
            }
        }
        #[cfg(target_os = "macos")]
        let mut stray = None;
        #[cfg(not(target_os = "macos"))]
        let stray = None;
        #[cfg(target_os = "macos")]
        {
            let mut path = [0 as c_char; libc::PATH_MAX as usize];
            // SAFETY: F_GETPATH writes at most PATH_MAX bytes.
            if unsafe { libc::fcntl(fd, libc::F_GETPATH, path.as_mut_ptr()) } == 0 {
                // SAFETY: F_GETPATH wrote a NUL-terminated path.
                let own = unsafe { libc::open(path.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
                if own >= 0 {
                    let key = |d| fstat(d).map(|st| file_key(&st));
                    if key(own) == key(fd) {
                        return (own, None);
                    }
                    // Another file took that name meanwhile.
                    stray = key(own).map(|k| (k, libc::O_RDWR, own));
                }
            }
        }
        // SAFETY: duplicating a valid descriptor; the copy shares its open file description.
        (unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) }, stray)
    }

    unsafe extern "C" fn hook_open(path: *const c_char, flags: c_int, mode: c_int) -> c_int {
        let access = flags & libc::O_ACCMODE;
        if flags & libc::O_EXCL == 0 {
            let reused = keeping_errno(|| {
                // SAFETY: SQLite passes a NUL-terminated path.
                let mut st: libc::stat = unsafe { std::mem::zeroed() };
                if unsafe { libc::stat(path, &mut st) } != 0 || !is_regular(&st) {
                    return None;
                }
                let mut guard = state();
                let s = guard.as_mut()?;
                let fd = s.unpark(file_key(&st), access)?;
                s.opened(fd, file_key(&st), access);
                Some(fd)
            });
            if let Some(fd) = reused {
                return fd;
            }
        }
        // SAFETY: the arguments SQLite gave, passed on.
        let fd = unsafe { libc::open(path, flags, mode as libc::c_uint) };
        if fd >= 0 {
            keeping_errno(|| {
                if let Some(st) = fstat(fd).filter(is_regular) {
                    if let Some(s) = state().as_mut() {
                        s.opened(fd, file_key(&st), access);
                    }
                }
            });
        }
        fd
    }

    unsafe extern "C" fn hook_close(fd: c_int) -> c_int {
        let mut guard = state();
        let tracked = guard.as_mut().and_then(|s| s.open.remove(&fd).map(|entry| (s, entry)));
        match tracked {
            Some((s, (key, access))) => {
                keeping_errno(|| s.closed(fd, key, access));
                0
            }
            None => {
                drop(guard);
                // SAFETY: not a regular file SQLite opened through us (a folder, /dev/null).
                unsafe { libc::close(fd) }
            }
        }
    }

    /// Lock requests from `src/io/db/fcntl_shim.c`: made open-file-description
    /// locks on our own descriptor of the file.
    #[no_mangle]
    unsafe extern "C" fn aipm_locking_fcntl(fd: c_int, cmd: c_int, lock: *mut libc::flock) -> c_int {
        let ofd = match cmd {
            libc::F_GETLK => OFD[0],
            libc::F_SETLK => OFD[1],
            _ => OFD[2],
        };
        let target = keeping_errno(|| state().as_mut().map_or(fd, |s| s.lock_target(fd)));
        // SAFETY: SQLite passes a valid struct flock.
        let mut request = unsafe { *lock };
        // Open-file-description locks require l_pid = 0.
        request.l_pid = 0;
        // SAFETY: a descriptor and a valid struct flock; the state lock is not held,
        // so a blocking request (F_SETLKW) blocks nobody else.
        let rc = unsafe { libc::fcntl(target, ofd, &mut request) };
        if rc == 0 && cmd == libc::F_GETLK {
            // SAFETY: as above.
            unsafe { *lock = request };
        }
        rc
    }
}

#[cfg(windows)]
mod imp {
    use super::LockOwnership;

    pub fn install() -> LockOwnership {
        LockOwnership::PerHandle
    }
}
