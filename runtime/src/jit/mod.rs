//! The Cranelift JIT: each conjunct of the dispatch plan becomes a native function over packed
//! rows.
//!
//! Calling convention: `fn(rows: *const JitRow, tables: *const Tables) -> u8`. `rows` points at
//! one `JitRow` per slot (slot 0 is the event). The result is 0 (false), 1 (true), 2 (integer
//! overflow or a non-finite float) or 3 (division by zero), which makes the condition false
//! and is counted, as in the interpreter. Fields are read at the offsets of the event type's
//! `Layout`; only fields of that layout are read, so the code never reads outside its row.
//! Expressions the JIT does not cover (string-building functions, aggregates) are left to the
//! interpreter: `JitCode::funcs` has `None` for them.

mod helpers;

use std::sync::Arc;

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    AbiParam, Block, InstBuilder, MemFlagsData, Type, UserFuncName, Value, types,
};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{FuncId, Linkage, Module, default_libcall_names};
use rustc_hash::FxHashSet;
use vigil_ir::{
    BinOp, Builtin, EventTypeId, ExprArena, ExprId, Node, Program, Ty, UnOp, Value as V,
};

use crate::interp::{EvalError, Regexes, Tables};
use crate::row::{Kind, Layout, Row};

/// A row as the generated code sees it.
#[repr(C)]
pub(crate) struct JitRow {
    pub words: *const u64,
    pub text: *const u8,
    pub present: u64,
    pub time: i64,
}

const ROW_WORDS: i32 = 0;
const ROW_TEXT: i32 = 8;
const ROW_PRESENT: i32 = 16;
const ROW_TIME: i32 = 24;
const ROW_SIZE: i64 = 32;

impl JitRow {
    pub fn of(row: &Row) -> JitRow {
        JitRow {
            words: row.words().as_ptr(),
            text: row.text().as_ptr(),
            present: row.present,
            time: row.time,
        }
    }
}

type CondFn = unsafe extern "C" fn(*const JitRow, *const Tables) -> u8;

/// The compiled conjuncts of a rule set, and the memory they live in.
#[allow(clippy::vec_box)]
#[derive(Default)]
pub(crate) struct JitCode {
    /// One module per thread that compiled a run of the conjuncts.
    modules: Vec<JITModule>,
    funcs: Vec<Option<CondFn>>,
    // Data the generated code points at; boxed so the addresses stay put.
    _strings: Vec<Box<str>>,
    _str_sets: Vec<Box<FxHashSet<Box<str>>>>,
    _word_sets: Vec<Box<FxHashSet<u64>>>,
    _regexes: Vec<Arc<regex::Regex>>,
    /// How long compiling took, for reports.
    pub compile_time: std::time::Duration,
}

// SAFETY: the function pointers and data pointers point into memory this value owns and
// nothing mutates after compilation; JITModule itself is Send.
unsafe impl Send for JitCode {}

impl Drop for JitCode {
    fn drop(&mut self) {
        self.funcs.clear();
        for m in self.modules.drain(..) {
            // SAFETY: the function pointers were dropped above and the engine that called
            // them is being dropped: no generated code can run any more.
            unsafe { m.free_memory() };
            #[cfg(test)]
            LIVE_MODULES.with(|n| n.set(n.get() - 1));
        }
    }
}

#[cfg(test)]
thread_local! {
    /// Modules whose memory is still mapped, on this thread (tests count what reloads free).
    pub(crate) static LIVE_MODULES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

impl JitCode {
    /// Evaluates conjunct `i` on `rows`; `None` when it was not compiled.
    pub fn eval(
        &self,
        i: usize,
        rows: &[JitRow],
        tables: &Tables,
    ) -> Option<Result<bool, EvalError>> {
        let f = self.funcs.get(i).copied().flatten()?;
        // SAFETY: `f` was compiled for rows laid out by their types' layouts, which is how
        // the engine builds every row; `rows` has a JitRow for every slot the code reads.
        let r = unsafe { f(rows.as_ptr(), tables) };
        Some(match r {
            0 => Ok(false),
            1 => Ok(true),
            3 => Err(EvalError::DivisionByZero),
            _ => Err(EvalError::Overflow),
        })
    }

    /// Moves the function of job `j` to position `at[j]` of `len`, the others empty: the jobs
    /// were some of a list, and `eval` takes positions in the whole list.
    pub fn place(&mut self, at: &[usize], len: usize) {
        let mut funcs = vec![None; len];
        for (f, &i) in self.funcs.drain(..).zip(at) {
            if let Some(slot) = funcs.get_mut(i) {
                *slot = f;
            }
        }
        self.funcs = funcs;
    }

    /// How many conjuncts were compiled (the rest run in the interpreter).
    pub fn compiled(&self) -> usize {
        self.funcs.iter().filter(|f| f.is_some()).count()
    }
}

/// One condition to compile: its arena, root, and the event type of each slot it reads.
pub(crate) struct Job<'a> {
    pub arena: &'a ExprArena,
    pub expr: ExprId,
    pub slots: Vec<EventTypeId>,
}

#[derive(Clone, Copy)]
struct Helpers {
    str_eq: FuncId,
    str_cmp: FuncId,
    str_contains: FuncId,
    str_starts_with: FuncId,
    str_ends_with: FuncId,
    str_chars: FuncId,
    str_in_set: FuncId,
    word_in_set: FuncId,
    str_in_list: FuncId,
    word_in_list: FuncId,
    matches: FuncId,
    within: FuncId,
    distance: FuncId,
    distance_cmp: FuncId,
    fmod: FuncId,
    hour: FuncId,
    weekday: FuncId,
    minute: FuncId,
    workday: FuncId,
    map_find_str: FuncId,
    map_find_word: FuncId,
    map_word: FuncId,
    map_str: FuncId,
    map_str_len: FuncId,
    set_len: FuncId,
    set_has_str: FuncId,
    set_has_word: FuncId,
    set_meets_set: FuncId,
    set_meets_list: FuncId,
}

/// Compiles `jobs`; a job the JIT does not cover gets `None`. Conjuncts compile
/// independently, so a large plan is cut into runs compiled side by side, each into a module of
/// its own; `JitCode::funcs` keeps the jobs' order.
pub(crate) fn compile(
    program: &Program,
    layouts: &[Layout],
    regexes: &Regexes,
    jobs: &[Job<'_>],
) -> Result<JitCode, String> {
    let started = std::time::Instant::now();
    if jobs.is_empty() {
        // Nothing to compile: no ISA, no module, and none of Cranelift's code paged in.
        return Ok(JitCode::default());
    }
    let threads = jit_threads(jobs.len());
    let parts: Vec<Result<JitCode, String>> = if threads > 1 {
        let per_thread = jobs.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let handles: Vec<_> = jobs
                .chunks(per_thread)
                .map(|run| scope.spawn(move || compile_run(program, layouts, regexes, run)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err("internal error: a JIT thread panicked".into()))
                })
                .collect()
        })
    } else {
        vec![compile_run(program, layouts, regexes, jobs)]
    };
    #[cfg(test)]
    for part in parts.iter().flatten() {
        LIVE_MODULES.with(|n| n.set(n.get() + part.modules.len()));
    }
    let mut code = JitCode::default();
    for part in parts {
        code.append(part?);
    }
    code.compile_time = started.elapsed();
    Ok(code)
}

/// How many threads to compile `jobs` conjuncts with: one per 64 (a thread and a module cost
/// about as much as compiling a few conjuncts; each conjunct costs Cranelift ~150k
/// instructions, most of it fixed per function), at most one per core.
fn jit_threads(jobs: usize) -> usize {
    const JOBS_PER_THREAD: usize = 64;
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    (jobs / JOBS_PER_THREAD).clamp(1, cores.min(4))
}

impl JitCode {
    /// Takes over `other`'s functions (after this one's) and the memory they live in.
    fn append(&mut self, mut other: JitCode) {
        self.modules.append(&mut other.modules);
        self.funcs.append(&mut other.funcs);
        self._strings.append(&mut other._strings);
        self._str_sets.append(&mut other._str_sets);
        self._word_sets.append(&mut other._word_sets);
        self._regexes.append(&mut other._regexes);
    }
}

/// Compiles a run of jobs into one module.
fn compile_run(
    program: &Program,
    layouts: &[Layout],
    regexes: &Regexes,
    jobs: &[Job<'_>],
) -> Result<JitCode, String> {
    let mut flags = settings::builder();
    let set =
        |f: &mut settings::Builder, k: &str, v: &str| f.set(k, v).map_err(|e| format!("{k}: {e}"));
    // Conditions reach the JIT folded and small: the mid-end optimiser (e-graphs) finds
    // nothing to gain on them (W1 at R = 10 and 1000: the same instructions per event), costs
    // compile time, and its code is a third of a megabyte of the binary that every run would
    // otherwise map (see docs/PERFORMANCE.md, "Code layout").
    set(&mut flags, "opt_level", "none")?;
    set(&mut flags, "is_pic", "false")?;
    set(&mut flags, "use_colocated_libcalls", "false")?;
    set(&mut flags, "unwind_info", "false")?;
    set(
        &mut flags,
        "enable_verifier",
        if cfg!(debug_assertions) {
            "true"
        } else {
            "false"
        },
    )?;
    let isa = cranelift_native::builder()
        .map_err(|e| e.to_string())?
        .finish(settings::Flags::new(flags))
        .map_err(|e| e.to_string())?;
    let mut jb = JITBuilder::with_isa(isa, default_libcall_names());
    let symbols: [(&str, *const u8); 29] = [
        ("vigil_str_eq", helpers::str_eq as *const u8),
        ("vigil_str_cmp", helpers::str_cmp as *const u8),
        ("vigil_str_contains", helpers::str_contains as *const u8),
        (
            "vigil_str_starts_with",
            helpers::str_starts_with as *const u8,
        ),
        ("vigil_str_ends_with", helpers::str_ends_with as *const u8),
        ("vigil_str_chars", helpers::str_chars as *const u8),
        ("vigil_str_in_set", helpers::str_in_set as *const u8),
        ("vigil_word_in_set", helpers::word_in_set as *const u8),
        ("vigil_str_in_list", helpers::str_in_list as *const u8),
        ("vigil_word_in_list", helpers::word_in_list as *const u8),
        ("vigil_matches", helpers::matches as *const u8),
        ("vigil_within", helpers::within as *const u8),
        ("vigil_distance", helpers::distance as *const u8),
        ("vigil_distance_cmp", helpers::distance_cmp as *const u8),
        ("vigil_fmod", helpers::fmod as *const u8),
        ("vigil_hour", helpers::hour as *const u8),
        ("vigil_weekday", helpers::weekday as *const u8),
        ("vigil_minute", helpers::minute as *const u8),
        ("vigil_workday", helpers::workday as *const u8),
        ("vigil_map_find_str", helpers::map_find_str as *const u8),
        ("vigil_map_find_word", helpers::map_find_word as *const u8),
        ("vigil_map_word", helpers::map_word as *const u8),
        ("vigil_map_str", helpers::map_str as *const u8),
        ("vigil_map_str_len", helpers::map_str_len as *const u8),
        ("vigil_set_len", helpers::set_len as *const u8),
        ("vigil_set_has_str", helpers::set_has_str as *const u8),
        ("vigil_set_has_word", helpers::set_has_word as *const u8),
        ("vigil_set_meets_set", helpers::set_meets_set as *const u8),
        ("vigil_set_meets_list", helpers::set_meets_list as *const u8),
    ];
    for (name, ptr) in symbols {
        jb.symbol(name, ptr);
    }
    let mut module = JITModule::new(jb);
    let ptr = module.target_config().pointer_type();
    let mut declare = |name: &str, params: &[Type], ret: Type| -> Result<FuncId, String> {
        let mut sig = module.make_signature();
        for p in params {
            sig.params.push(AbiParam::new(*p));
        }
        sig.returns.push(if ret == types::I8 {
            AbiParam::new(ret).uext()
        } else {
            AbiParam::new(ret)
        });
        module
            .declare_function(name, Linkage::Import, &sig)
            .map_err(|e| e.to_string())
    };
    let (i8t, i64t, f64t) = (types::I8, types::I64, types::F64);
    let h = Helpers {
        str_eq: declare("vigil_str_eq", &[ptr, i64t, ptr, i64t], i8t)?,
        str_cmp: declare("vigil_str_cmp", &[ptr, i64t, ptr, i64t], i64t)?,
        str_contains: declare("vigil_str_contains", &[ptr, i64t, ptr, i64t], i8t)?,
        str_starts_with: declare("vigil_str_starts_with", &[ptr, i64t, ptr, i64t], i8t)?,
        str_ends_with: declare("vigil_str_ends_with", &[ptr, i64t, ptr, i64t], i8t)?,
        str_chars: declare("vigil_str_chars", &[ptr, i64t], i64t)?,
        str_in_set: declare("vigil_str_in_set", &[ptr, ptr, i64t], i8t)?,
        word_in_set: declare("vigil_word_in_set", &[ptr, i64t], i8t)?,
        str_in_list: declare("vigil_str_in_list", &[ptr, i64t, ptr, i64t], i8t)?,
        word_in_list: declare("vigil_word_in_list", &[ptr, i64t, i64t], i8t)?,
        matches: declare("vigil_matches", &[ptr, ptr, i64t], i8t)?,
        within: declare("vigil_within", &[ptr, i64t, f64t, f64t], i8t)?,
        distance: declare("vigil_distance", &[f64t, f64t, f64t, f64t], f64t)?,
        distance_cmp: declare(
            "vigil_distance_cmp",
            &[f64t, f64t, f64t, f64t, f64t, i64t],
            i8t,
        )?,
        fmod: declare("vigil_fmod", &[f64t, f64t], f64t)?,
        hour: declare("vigil_hour", &[ptr, i64t], i64t)?,
        weekday: declare("vigil_weekday", &[ptr, i64t], i64t)?,
        minute: declare("vigil_minute", &[ptr, i64t], i64t)?,
        workday: declare("vigil_workday", &[ptr, i64t], i64t)?,
        map_find_str: declare("vigil_map_find_str", &[ptr, i64t, ptr, i64t], i64t)?,
        map_find_word: declare("vigil_map_find_word", &[ptr, i64t, i64t], i64t)?,
        map_word: declare("vigil_map_word", &[ptr, i64t, i64t], i64t)?,
        map_str: declare("vigil_map_str", &[ptr, i64t, i64t], ptr)?,
        map_str_len: declare("vigil_map_str_len", &[ptr, i64t, i64t], i64t)?,
        set_len: declare("vigil_set_len", &[ptr, i64t, i64t], i64t)?,
        set_has_str: declare("vigil_set_has_str", &[ptr, i64t, ptr, i64t], i8t)?,
        set_has_word: declare("vigil_set_has_word", &[ptr, i64t, i64t], i8t)?,
        set_meets_set: declare("vigil_set_meets_set", &[ptr, i64t, ptr, i64t, i64t], i8t)?,
        set_meets_list: declare("vigil_set_meets_list", &[ptr, i64t, ptr, i64t, i64t], i8t)?,
    };

    let mut data = Data::default();
    let mut ctx = module.make_context();
    let mut fctx = FunctionBuilderContext::new();
    let mut ids = Vec::with_capacity(jobs.len());
    for job in jobs {
        let mut sig = module.make_signature();
        sig.params.push(AbiParam::new(ptr));
        sig.params.push(AbiParam::new(ptr));
        sig.returns.push(AbiParam::new(types::I8).uext());
        let id = module
            .declare_anonymous_function(&sig)
            .map_err(|e| e.to_string())?;
        ctx.func.signature = sig;
        ctx.func.name = UserFuncName::user(0, id.as_u32());
        let built = {
            let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
            let entry = b.create_block();
            b.append_block_params_for_function_params(entry);
            let err = b.create_block();
            b.append_block_param(err, types::I8);
            b.switch_to_block(entry);
            // PANIC SAFETY: `entry` took the signature's two parameters just above.
            #[allow(clippy::indexing_slicing)]
            let (rows, tables) = (b.block_params(entry)[0], b.block_params(entry)[1]);
            let mut g = Gen {
                b,
                ptr_ty: ptr,
                arena: job.arena,
                program,
                layouts,
                regexes,
                slots: &job.slots,
                rows,
                tables,
                err,
                module: &mut module,
                helpers: h,
                data: &mut data,
            };
            let result = g.expr(job.expr).map(|jv| {
                let t = g.truthy(&jv);
                g.b.ins().return_(&[t]);
                g.b.switch_to_block(g.err);
                // PANIC SAFETY: `err` was given one parameter when it was made.
                #[allow(clippy::indexing_slicing)]
                let code = g.b.block_params(g.err)[0];
                g.b.ins().return_(&[code]);
            });
            let mut b = g.b;
            if result.is_err() {
                // Leave a valid body behind so the builder can be finalized and reused.
                let cur = b.current_block();
                if cur.is_some() {
                    let zero = b.ins().iconst(types::I8, 0);
                    b.ins().return_(&[zero]);
                }
                b.switch_to_block(err);
                // PANIC SAFETY: `err` was given one parameter when it was made.
                #[allow(clippy::indexing_slicing)]
                let code = b.block_params(err)[0];
                b.ins().return_(&[code]);
            }
            b.seal_all_blocks();
            b.finalize(module.target_config());
            result.is_ok()
        };
        if built {
            if let Err(e) = module.define_function(id, &mut ctx) {
                module.clear_context(&mut ctx);
                return Err(format!(
                    "internal error: the JIT produced invalid code: {e}"
                ));
            }
            ids.push(Some(id));
        } else {
            ids.push(None);
        }
        module.clear_context(&mut ctx);
    }
    module.finalize_definitions().map_err(|e| e.to_string())?;
    let funcs = ids
        .into_iter()
        .map(|id| {
            id.map(|id| {
                let p = module.get_finalized_function(id);
                // SAFETY: the function was declared with this signature above.
                unsafe { std::mem::transmute::<*const u8, CondFn>(p) }
            })
        })
        .collect();
    Ok(JitCode {
        modules: vec![module],
        funcs,
        _strings: data.strings,
        _str_sets: data.str_sets,
        _word_sets: data.word_sets,
        _regexes: data.regexes,
        compile_time: std::time::Duration::ZERO,
    })
}

/// Constants the generated code points at, each boxed so its address stays put while the
/// vectors grow.
#[derive(Default)]
#[allow(clippy::vec_box)]
struct Data {
    strings: Vec<Box<str>>,
    str_sets: Vec<Box<FxHashSet<Box<str>>>>,
    word_sets: Vec<Box<FxHashSet<u64>>>,
    regexes: Vec<Arc<regex::Regex>>,
}

/// Something the JIT does not compile; the conjunct stays with the interpreter.
struct Unsupported;

type R<T> = Result<T, Unsupported>;

/// A value in registers: its parts, and whether it is absent (`None`: never).
#[derive(Clone, Copy)]
enum Parts {
    /// Bool as i8 0/1.
    Bool(Value),
    /// Int, time, duration, enum: i64.
    Word(Value),
    Float(Value),
    Str(Value, Value),
    Point(Value, Value),
}

#[derive(Clone, Copy)]
struct Jv {
    parts: Parts,
    absent: Option<Value>,
}

struct Gen<'a, 'b> {
    b: FunctionBuilder<'b>,
    ptr_ty: Type,
    arena: &'a ExprArena,
    program: &'a Program,
    layouts: &'a [Layout],
    /// The rule set's regexes, compiled once for the interpreter and the code alike.
    regexes: &'a Regexes,
    slots: &'a [EventTypeId],
    rows: Value,
    tables: Value,
    err: Block,
    module: &'a mut JITModule,
    helpers: Helpers,
    data: &'a mut Data,
}

impl Gen<'_, '_> {
    fn call(&mut self, f: FuncId, args: &[Value]) -> Value {
        let fref = self.module.declare_func_in_func(f, self.b.func);
        let inst = self.b.ins().call(fref, args);
        // PANIC SAFETY: every helper the code calls returns one value (their signatures are
        // declared in `helpers.rs` with one return).
        #[allow(clippy::indexing_slicing)]
        let result = self.b.inst_results(inst)[0];
        result
    }

    fn i8(&mut self, v: i64) -> Value {
        self.b.ins().iconst(types::I8, v)
    }

    fn i64(&mut self, v: i64) -> Value {
        self.b.ins().iconst(types::I64, v)
    }

    /// `a or b` for absence flags.
    fn either(&mut self, a: Option<Value>, b: Option<Value>) -> Option<Value> {
        match (a, b) {
            (Some(x), Some(y)) => Some(self.b.ins().bor(x, y)),
            (x, None) => x,
            (None, y) => y,
        }
    }

    fn not(&mut self, v: Value) -> Value {
        self.b.ins().bxor_imm_u(v, 1)
    }

    /// True in a condition: present and true.
    fn truthy(&mut self, jv: &Jv) -> Value {
        let v = match jv.parts {
            Parts::Bool(v) => v,
            _ => self.i8(0),
        };
        match jv.absent {
            Some(a) => {
                let present = self.not(a);
                self.b.ins().band(v, present)
            }
            None => v,
        }
    }

    /// Jumps to the error exit with `code` when `flag` is set and the operands are present.
    fn fail_if(&mut self, flag: Value, absent: Option<Value>, code: i64) {
        let flag = match absent {
            Some(a) => {
                let present = self.not(a);
                self.b.ins().band(flag, present)
            }
            None => flag,
        };
        let cont = self.b.create_block();
        let c = self.i8(code);
        self.b.ins().brif(flag, self.err, &[c.into()], cont, &[]);
        self.b.switch_to_block(cont);
    }

    fn placeholder(&mut self, ty: &Ty) -> R<Parts> {
        Ok(match ty {
            Ty::Bool => Parts::Bool(self.i8(0)),
            Ty::Int | Ty::Time | Ty::Duration | Ty::Enum(_) | Ty::Unit => Parts::Word(self.i64(0)),
            Ty::Float => Parts::Float(self.b.ins().f64const(0.0)),
            Ty::Str => {
                let z = self.b.ins().iconst(self.ptr_ty, 0);
                let l = self.i64(0);
                Parts::Str(z, l)
            }
            Ty::Point => {
                let z = self.b.ins().f64const(0.0);
                Parts::Point(z, z)
            }
            Ty::Set(_) => {
                let z = self.b.ins().iconst(self.ptr_ty, 0);
                let l = self.i64(0);
                Parts::Str(z, l)
            }
            _ => return Err(Unsupported),
        })
    }

    fn constant(&mut self, v: &V, ty: &Ty) -> R<Jv> {
        let parts = match v {
            V::Absent => {
                let p = self.placeholder(ty)?;
                let one = self.i8(1);
                return Ok(Jv {
                    parts: p,
                    absent: Some(one),
                });
            }
            V::Bool(b) => Parts::Bool(self.i8(i64::from(*b))),
            V::Int(i) | V::Time(i) | V::Duration(i) => Parts::Word(self.i64(*i)),
            V::Enum(e) | V::Unit(e) => Parts::Word(self.i64(i64::from(*e))),
            V::Float(f) => Parts::Float(self.b.ins().f64const(*f)),
            V::Str(s) => {
                let boxed: Box<str> = Box::from(&**s);
                let (p, l) = (boxed.as_ptr() as i64, boxed.len() as i64);
                self.data.strings.push(boxed);
                let p = self.b.ins().iconst(self.ptr_ty, p);
                Parts::Str(p, self.i64(l))
            }
            V::Point(p) => Parts::Point(self.b.ins().f64const(p.lat), self.b.ins().f64const(p.lon)),
            // A constant set as its encoded text, like a set field (`row::set_text`).
            V::Set(s) if matches!(ty, Ty::Set(_)) => {
                let mut encoded = String::new();
                crate::row::set_text::encode(s, &mut encoded);
                let boxed: Box<str> = Box::from(encoded.as_str());
                let (p, l) = (boxed.as_ptr() as i64, boxed.len() as i64);
                self.data.strings.push(boxed);
                let p = self.b.ins().iconst(self.ptr_ty, p);
                Parts::Str(p, self.i64(l))
            }
            V::Set(_) => return Err(Unsupported),
        };
        Ok(Jv {
            parts,
            absent: None,
        })
    }

    fn row_ptr(&mut self, slot: u8) -> Value {
        self.b
            .ins()
            .iadd_imm_s(self.rows, i64::from(slot) * ROW_SIZE)
    }

    fn field(&mut self, slot: u8, field: u16, optional: bool) -> R<Jv> {
        let ty = *self.slots.get(slot as usize).ok_or(Unsupported)?;
        let layout = self.layouts.get(ty as usize).ok_or(Unsupported)?;
        let &(w, kind) = layout.slots.get(field as usize).ok_or(Unsupported)?;
        if field >= 64 {
            return Err(Unsupported);
        }
        let flags = MemFlagsData::trusted();
        let row = self.row_ptr(slot);
        let absent = if optional {
            let present = self.b.ins().load(types::I64, flags, row, ROW_PRESENT);
            let bit = self.b.ins().ushr_imm_u(present, i64::from(field));
            let bit = self.b.ins().band_imm_u(bit, 1);
            Some(self.b.ins().icmp_imm_s(IntCC::Equal, bit, 0))
        } else {
            None
        };
        let words = self.b.ins().load(self.ptr_ty, flags, row, ROW_WORDS);
        let off = i32::try_from(w * 8).map_err(|_| Unsupported)?;
        let parts = match kind {
            Kind::Bool => {
                let wv = self.b.ins().load(types::I64, flags, words, off);
                Parts::Bool(self.b.ins().ireduce(types::I8, wv))
            }
            Kind::Int | Kind::Time | Kind::Duration | Kind::Enum | Kind::Unit => {
                Parts::Word(self.b.ins().load(types::I64, flags, words, off))
            }
            Kind::Float => Parts::Float(self.b.ins().load(types::F64, flags, words, off)),
            Kind::Point => Parts::Point(
                self.b.ins().load(types::F64, flags, words, off),
                self.b.ins().load(types::F64, flags, words, off + 8),
            ),
            // A set as its encoded text (`row::set_text`), which the set helpers read.
            Kind::Str | Kind::Set(_) => {
                let start = self.b.ins().load(types::I64, flags, words, off);
                let len = self.b.ins().load(types::I64, flags, words, off + 8);
                let text = self.b.ins().load(self.ptr_ty, flags, row, ROW_TEXT);
                Parts::Str(self.b.ins().iadd(text, start), len)
            }
        };
        Ok(Jv { parts, absent })
    }

    fn expr(&mut self, id: ExprId) -> R<Jv> {
        let ty = self.arena.ty(id).clone();
        match self.arena.node(id).clone() {
            Node::Const(v) => self.constant(&v, &ty),
            Node::Field { slot, field } => self.declared_field(slot, field),
            Node::EventTime(slot) => Ok(self.event_time(slot)),
            Node::EventId(slot) => self.event_id(slot),
            Node::Unary(UnOp::Not, a) => {
                let a = self.expr(a)?;
                let t = self.truthy(&a);
                Ok(Jv {
                    parts: Parts::Bool(self.not(t)),
                    absent: None,
                })
            }
            Node::Unary(UnOp::Neg, a) => self.negate(a),
            Node::Binary(op, a, b) => {
                if let Some(judged) = self.distance_compared(op, a, b)? {
                    return Ok(judged);
                }
                let x = self.expr(a)?;
                let y = self.expr(b)?;
                if op.is_comparison() {
                    self.compare(op, x, y)
                } else {
                    self.arith(op, x, y)
                }
            }
            Node::And(a, b) => self.logic(true, a, b),
            Node::Or(a, b) => self.logic(false, a, b),
            Node::In {
                value,
                set,
                negated,
            } => self.in_set(value, set, negated),
            Node::InList {
                value,
                list,
                negated,
            } => self.in_list(value, list, negated),
            Node::Coalesce(a, b) => self.coalesce(a, b),
            Node::If(c, a, b) => self.if_then_else(c, a, b),
            Node::Exists(a) => {
                let x = self.expr(a)?;
                let v = match x.absent {
                    Some(a) => self.not(a),
                    None => self.i8(1),
                };
                Ok(Jv {
                    parts: Parts::Bool(v),
                    absent: None,
                })
            }
            Node::Call(f, args) => {
                match (f, args.as_slice()) {
                    (Builtin::Len, [a]) if matches!(self.arena.ty(*a), Ty::Set(_)) => {
                        return self.set_len(*a);
                    }
                    (Builtin::Intersects, [a, b]) => return self.intersects(*a, *b),
                    _ => {}
                }
                let mut vals = Vec::with_capacity(args.len());
                for a in &args {
                    vals.push(self.expr(*a)?);
                }
                let mut absent = None;
                for v in &vals {
                    absent = self.either(absent, v.absent);
                }
                self.builtin(f, &vals, absent)
            }
            Node::Matches(s, pattern) => self.matches(s, &pattern),
            Node::Within(p, zone) => self.within(p, zone),
            Node::Lookup { map, key } => self.lookup(map, key, &ty),
            // A named list is read by `intersects`, which asks the list's index.
            Node::List(_)
            | Node::Agg(_)
            | Node::Key
            | Node::From
            | Node::Visits(_)
            | Node::Var(_)
            | Node::Param(_)
            | Node::Element => Err(Unsupported),
        }
    }

    /// A declared field of the event in `slot` (absent-able when the field is optional).
    fn declared_field(&mut self, slot: u8, field: u16) -> R<Jv> {
        let event = *self.slots.get(slot as usize).ok_or(Unsupported)?;
        let optional = self
            .program
            .event(event)
            .and_then(|e| e.fields.get(field as usize))
            .is_none_or(|f| f.optional);
        self.field(slot, field, optional)
    }

    /// The time of the event in `slot`.
    fn event_time(&mut self, slot: u8) -> Jv {
        let row = self.row_ptr(slot);
        let t = self
            .b
            .ins()
            .load(types::I64, MemFlagsData::trusted(), row, ROW_TIME);
        Jv {
            parts: Parts::Word(t),
            absent: None,
        }
    }

    /// The `id` of the event in `slot`: its id field, absent when the event had none.
    fn event_id(&mut self, slot: u8) -> R<Jv> {
        let event = *self.slots.get(slot as usize).ok_or(Unsupported)?;
        let id = self
            .layouts
            .get(event as usize)
            .ok_or(Unsupported)?
            .id_field();
        self.field(slot, id, true)
    }

    /// `-a`; an integer that overflows is an evaluation error.
    fn negate(&mut self, a: ExprId) -> R<Jv> {
        let a = self.expr(a)?;
        let parts = match a.parts {
            Parts::Word(v) => {
                let zero = self.i64(0);
                let (r, of) = self.b.ins().ssub_overflow(zero, v);
                self.fail_if(of, a.absent, 2);
                Parts::Word(r)
            }
            Parts::Float(v) => Parts::Float(self.b.ins().fneg(v)),
            _ => return Err(Unsupported),
        };
        Ok(Jv {
            parts,
            absent: a.absent,
        })
    }

    /// `a and b` (`is_and`) or `a or b`, short-circuit: `b` runs only when `a` does not decide.
    fn logic(&mut self, is_and: bool, a: ExprId, b: ExprId) -> R<Jv> {
        let x = self.expr(a)?;
        let tx = self.truthy(&x);
        let rhs = self.b.create_block();
        let join = self.b.create_block();
        self.b.append_block_param(join, types::I8);
        if is_and {
            self.b.ins().brif(tx, rhs, &[], join, &[tx.into()]);
        } else {
            self.b.ins().brif(tx, join, &[tx.into()], rhs, &[]);
        }
        self.b.switch_to_block(rhs);
        let y = self.expr(b)?;
        let ty_ = self.truthy(&y);
        self.b.ins().jump(join, &[ty_.into()]);
        self.b.switch_to_block(join);
        // PANIC SAFETY: `join` was given one parameter when it was made.
        #[allow(clippy::indexing_slicing)]
        let joined = self.b.block_params(join)[0];
        Ok(Jv {
            parts: Parts::Bool(joined),
            absent: None,
        })
    }

    /// `value in [constants]`: up to eight words compared inline, larger sets and strings
    /// looked up in a hash set the code keeps.
    fn in_set(&mut self, value: ExprId, set: ExprId, negated: bool) -> R<Jv> {
        let v = self.expr(value)?;
        let Some(V::Set(s)) = self.arena.as_const(set).cloned() else {
            return self.in_set_value(v, set, negated);
        };
        let found = match v.parts {
            Parts::Str(p, l) => {
                let strs: FxHashSet<Box<str>> = s
                    .items
                    .iter()
                    .filter_map(|i| match i {
                        V::Str(x) => Some(Box::from(&**x)),
                        _ => None,
                    })
                    .collect();
                let boxed = Box::new(strs);
                let addr = &*boxed as *const FxHashSet<Box<str>> as i64;
                self.data.str_sets.push(boxed);
                let sp = self.b.ins().iconst(self.ptr_ty, addr);
                self.call(self.helpers.str_in_set, &[sp, p, l])
            }
            Parts::Word(w) => {
                let words: Option<FxHashSet<u64>> =
                    s.items.iter().map(crate::row::word_of).collect();
                let words = words.ok_or(Unsupported)?;
                if words.len() <= 8 {
                    let mut acc = self.i8(0);
                    let mut sorted: Vec<u64> = words.into_iter().collect();
                    sorted.sort_unstable();
                    for k in sorted {
                        let e = self.b.ins().icmp_imm_s(IntCC::Equal, w, k as i64);
                        acc = self.b.ins().bor(acc, e);
                    }
                    acc
                } else {
                    let boxed = Box::new(words);
                    let addr = &*boxed as *const FxHashSet<u64> as i64;
                    self.data.word_sets.push(boxed);
                    let sp = self.b.ins().iconst(self.ptr_ty, addr);
                    self.call(self.helpers.word_in_set, &[sp, w])
                }
            }
            Parts::Bool(bv) => {
                let w = self.b.ins().uextend(types::I64, bv);
                let mut acc = self.i8(0);
                for i in &s.items {
                    let k = crate::row::word_of(i).ok_or(Unsupported)?;
                    let e = self.b.ins().icmp_imm_s(IntCC::Equal, w, k as i64);
                    acc = self.b.ins().bor(acc, e);
                }
                acc
            }
            _ => return Err(Unsupported),
        };
        Ok(self.membership(found, v.absent, negated))
    }

    /// `value in list`: looked up through the engine's tables at run time (lists reload).
    fn in_list(&mut self, value: ExprId, list: u32, negated: bool) -> R<Jv> {
        let v = self.expr(value)?;
        let l = self.i64(i64::from(list));
        let found = match v.parts {
            Parts::Str(p, len) => self.call(self.helpers.str_in_list, &[self.tables, l, p, len]),
            Parts::Word(w) => self.call(self.helpers.word_in_list, &[self.tables, l, w]),
            Parts::Bool(bv) => {
                let w = self.b.ins().uextend(types::I64, bv);
                self.call(self.helpers.word_in_list, &[self.tables, l, w])
            }
            _ => return Err(Unsupported),
        };
        Ok(self.membership(found, v.absent, negated))
    }

    /// `x in s` for a set computed per event (a `set<T>` field), as `ops::in_set`: an absent
    /// `x` gives `negated`; else an absent set gives false, whatever `not` says.
    fn in_set_value(&mut self, v: Jv, set: ExprId, negated: bool) -> R<Jv> {
        let s = self.expr(set)?;
        let Parts::Str(sp, sl) = s.parts else {
            return Err(Unsupported);
        };
        let found = match v.parts {
            Parts::Str(p, l) => self.call(self.helpers.set_has_str, &[sp, sl, p, l]),
            Parts::Word(w) => self.call(self.helpers.set_has_word, &[sp, sl, w]),
            _ => return Err(Unsupported),
        };
        let held = self.membership(found, v.absent, negated);
        let Parts::Bool(held) = held.parts else {
            return Err(Unsupported);
        };
        let value = match s.absent {
            Some(set_absent) => {
                let when_absent = match (v.absent, negated) {
                    (Some(x_absent), true) => x_absent,
                    _ => self.i8(0),
                };
                self.b.ins().select(set_absent, when_absent, held)
            }
            None => held,
        };
        Ok(Jv {
            parts: Parts::Bool(value),
            absent: None,
        })
    }

    /// Whether a set's members are stored as words (1) or strings (0), from its type.
    fn set_words(&mut self, id: ExprId) -> R<Value> {
        match self.arena.ty(id) {
            Ty::Set(elem) if **elem == Ty::Str => Ok(self.i64(0)),
            Ty::Set(elem) if matches!(**elem, Ty::Int | Ty::Enum(_) | Ty::Unit) => Ok(self.i64(1)),
            _ => Err(Unsupported),
        }
    }

    /// `len(s)` of a set.
    fn set_len(&mut self, s: ExprId) -> R<Jv> {
        let words = self.set_words(s)?;
        let v = self.expr(s)?;
        let Parts::Str(p, l) = v.parts else {
            return Err(Unsupported);
        };
        Ok(Jv {
            parts: Parts::Word(self.call(self.helpers.set_len, &[p, l, words])),
            absent: v.absent,
        })
    }

    /// `intersects(a, b)`: a named list is asked through the engine's current index.
    fn intersects(&mut self, a: ExprId, b: ExprId) -> R<Jv> {
        let (a, b) = match self.arena.node(a) {
            Node::List(_) => (b, a),
            _ => (a, b),
        };
        let words = self.set_words(a)?;
        let x = self.expr(a)?;
        let Parts::Str(ap, al) = x.parts else {
            return Err(Unsupported);
        };
        let (hit, absent) = match self.arena.node(b) {
            Node::List(list) => {
                let l = self.i64(i64::from(*list));
                let hit = self.call(
                    self.helpers.set_meets_list,
                    &[self.tables, l, ap, al, words],
                );
                (hit, x.absent)
            }
            _ => {
                let y = self.expr(b)?;
                let Parts::Str(bp, bl) = y.parts else {
                    return Err(Unsupported);
                };
                let hit = self.call(self.helpers.set_meets_set, &[ap, al, bp, bl, words]);
                (hit, self.either(x.absent, y.absent))
            }
        };
        Ok(Jv {
            parts: Parts::Bool(hit),
            absent,
        })
    }

    /// `m[k]`: the entry is found by the map's current index (maps reload), and absent when
    /// the key is or has no entry.
    fn lookup(&mut self, map: u32, key: ExprId, ty: &Ty) -> R<Jv> {
        let k = self.expr(key)?;
        let m = self.i64(i64::from(map));
        let entry = match k.parts {
            Parts::Str(p, len) => self.call(self.helpers.map_find_str, &[self.tables, m, p, len]),
            Parts::Word(w) => self.call(self.helpers.map_find_word, &[self.tables, m, w]),
            _ => return Err(Unsupported),
        };
        let missing = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, entry, 0);
        let absent = self.either(k.absent, Some(missing));
        let parts = match ty {
            Ty::Int | Ty::Time | Ty::Duration | Ty::Enum(_) | Ty::Unit => {
                Parts::Word(self.call(self.helpers.map_word, &[self.tables, m, entry]))
            }
            Ty::Bool => {
                let w = self.call(self.helpers.map_word, &[self.tables, m, entry]);
                Parts::Bool(self.b.ins().ireduce(types::I8, w))
            }
            Ty::Float => {
                let w = self.call(self.helpers.map_word, &[self.tables, m, entry]);
                Parts::Float(self.b.ins().bitcast(types::F64, MemFlagsData::new(), w))
            }
            Ty::Str => {
                let p = self.call(self.helpers.map_str, &[self.tables, m, entry]);
                let len = self.call(self.helpers.map_str_len, &[self.tables, m, entry]);
                Parts::Str(p, len)
            }
            _ => return Err(Unsupported),
        };
        Ok(Jv { parts, absent })
    }

    /// `a ?? b`: `b` runs only when `a` is absent.
    fn coalesce(&mut self, a: ExprId, b: ExprId) -> R<Jv> {
        let x = self.expr(a)?;
        let Some(absent) = x.absent else { return Ok(x) };
        let rhs = self.b.create_block();
        let (join, _) = self.join_block(&x.parts);
        // Taken only when `x` is present, so its absent flag is 0 there.
        let args = self.join_args(&x);
        self.b.ins().brif(absent, rhs, &[], join, &args);
        self.b.switch_to_block(rhs);
        let y = self.expr(b)?;
        let args = self.join_args(&y);
        self.b.ins().jump(join, &args);
        Ok(self.joined(join, &x.parts))
    }

    /// `if c then a else b`: only the branch taken runs (an overflow in the other must not
    /// fail the condition), and both meet in a join block. An absent `c` takes the `else`
    /// branch.
    fn if_then_else(&mut self, c: ExprId, a: ExprId, b: ExprId) -> R<Jv> {
        let cond = self.expr(c)?;
        let Parts::Bool(v) = cond.parts else {
            return Err(Unsupported);
        };
        let taken = match cond.absent {
            Some(absent) => {
                let present = self.not(absent);
                self.b.ins().band(v, present)
            }
            None => v,
        };
        let (then_block, else_block) = (self.b.create_block(), self.b.create_block());
        self.b.ins().brif(taken, then_block, &[], else_block, &[]);
        self.b.switch_to_block(then_block);
        let x = self.expr(a)?;
        let (join, kinds) = self.join_block(&x.parts);
        let args = self.join_args(&x);
        self.b.ins().jump(join, &args);
        self.b.switch_to_block(else_block);
        let y = self.expr(b)?;
        if self.param_types(&y.parts) != kinds {
            return Err(Unsupported);
        }
        let args = self.join_args(&y);
        self.b.ins().jump(join, &args);
        Ok(self.joined(join, &x.parts))
    }

    /// A block where values shaped like `like` meet from several branches: its parameters
    /// are their parts, then the absent flag. Also the parts' types, to check a branch by.
    fn join_block(&mut self, like: &Parts) -> (Block, Vec<types::Type>) {
        let join = self.b.create_block();
        let kinds = self.param_types(like);
        for t in &kinds {
            self.b.append_block_param(join, *t);
        }
        self.b.append_block_param(join, types::I8);
        (join, kinds)
    }

    /// The arguments that carry `v` into a join block.
    fn join_args(&mut self, v: &Jv) -> Vec<cranelift_codegen::ir::BlockArg> {
        let absent = v.absent.unwrap_or_else(|| self.i8(0));
        let mut args: Vec<cranelift_codegen::ir::BlockArg> =
            self.values(&v.parts).into_iter().map(Into::into).collect();
        args.push(absent.into());
        args
    }

    /// Continues in `join`, whose value (shaped like `like`) its parameters hold.
    fn joined(&mut self, join: Block, like: &Parts) -> Jv {
        self.b.switch_to_block(join);
        let params = self.b.block_params(join).to_vec();
        Jv {
            parts: rebuild(like, &params),
            absent: params.last().copied(),
        }
    }

    /// `matches(s, "re")`, through the engine's compiled regex.
    fn matches(&mut self, s: ExprId, pattern: &str) -> R<Jv> {
        let x = self.expr(s)?;
        let Parts::Str(p, l) = x.parts else {
            return Err(Unsupported);
        };
        // The code keeps the regex alive with it; the pointer stays put in its `Arc`.
        let re = self.regexes.get(pattern).cloned().ok_or(Unsupported)?;
        let addr = Arc::as_ptr(&re) as i64;
        self.data.regexes.push(re);
        let rp = self.b.ins().iconst(self.ptr_ty, addr);
        let m = self.call(self.helpers.matches, &[rp, p, l]);
        Ok(self.membership(m, x.absent, false))
    }

    /// `within(p, zone)`.
    fn within(&mut self, p: ExprId, zone: u32) -> R<Jv> {
        let x = self.expr(p)?;
        let Parts::Point(lat, lon) = x.parts else {
            return Err(Unsupported);
        };
        let z = self.i64(i64::from(zone));
        let m = self.call(self.helpers.within, &[self.tables, z, lat, lon]);
        Ok(self.membership(m, x.absent, false))
    }

    /// `found`, negated if asked, and `negated` for an absent value (`not` applies after).
    fn membership(&mut self, found: Value, absent: Option<Value>, negated: bool) -> Jv {
        let r = if negated { self.not(found) } else { found };
        let v = match absent {
            Some(a) => {
                let k = self.i8(i64::from(negated));
                self.b.ins().select(a, k, r)
            }
            None => r,
        };
        Jv {
            parts: Parts::Bool(v),
            absent: None,
        }
    }

    fn param_types(&self, p: &Parts) -> Vec<Type> {
        let ptr = self.ptr_ty;
        match p {
            Parts::Bool(_) => vec![types::I8],
            Parts::Word(_) => vec![types::I64],
            Parts::Float(_) => vec![types::F64],
            Parts::Str(..) => vec![ptr, types::I64],
            Parts::Point(..) => vec![types::F64, types::F64],
        }
    }

    fn values(&self, p: &Parts) -> Vec<Value> {
        match *p {
            Parts::Bool(v) | Parts::Word(v) | Parts::Float(v) => vec![v],
            Parts::Str(a, b) | Parts::Point(a, b) => vec![a, b],
        }
    }

    /// `distance(p, q) <op> limit`, an ordering, in one helper call that skips the
    /// trigonometry for points whose latitudes alone decide (`ops::distance_compares`); `None`
    /// for any other comparison.
    fn distance_compared(&mut self, op: BinOp, a: ExprId, b: ExprId) -> R<Option<Jv>> {
        let code = match op {
            BinOp::Lt => 0,
            BinOp::Le => 1,
            BinOp::Gt => 2,
            BinOp::Ge => 3,
            _ => return Ok(None),
        };
        let Node::Call(Builtin::Distance, args) = self.arena.node(a).clone() else {
            return Ok(None);
        };
        let [p, q] = args.as_slice() else {
            return Ok(None);
        };
        let (p, q, limit) = (self.expr(*p)?, self.expr(*q)?, self.expr(b)?);
        let (Parts::Point(a1, a2), Parts::Point(b1, b2), Parts::Float(l)) =
            (p.parts, q.parts, limit.parts)
        else {
            return Err(Unsupported);
        };
        let code = self.b.ins().iconst(types::I64, code);
        let r = self.call(self.helpers.distance_cmp, &[a1, a2, b1, b2, l, code]);
        let absent = self.either(p.absent, q.absent);
        let absent = self.either(absent, limit.absent);
        // As `compare`: an absent operand makes the comparison false.
        let v = match absent {
            Some(a) => {
                let present = self.not(a);
                self.b.ins().band(r, present)
            }
            None => r,
        };
        Ok(Some(Jv {
            parts: Parts::Bool(v),
            absent: None,
        }))
    }

    fn compare(&mut self, op: BinOp, x: Jv, y: Jv) -> R<Jv> {
        let absent = self.either(x.absent, y.absent);
        let r = match (x.parts, y.parts) {
            (Parts::Word(a), Parts::Word(b)) | (Parts::Bool(a), Parts::Bool(b)) => {
                let cc = match op {
                    BinOp::Eq => IntCC::Equal,
                    BinOp::Ne => IntCC::NotEqual,
                    BinOp::Lt => IntCC::SignedLessThan,
                    BinOp::Le => IntCC::SignedLessThanOrEqual,
                    BinOp::Gt => IntCC::SignedGreaterThan,
                    _ => IntCC::SignedGreaterThanOrEqual,
                };
                self.b.ins().icmp(cc, a, b)
            }
            (Parts::Float(a), Parts::Float(b)) => {
                let cc = match op {
                    BinOp::Eq => FloatCC::Equal,
                    BinOp::Ne => FloatCC::OrderedNotEqual,
                    BinOp::Lt => FloatCC::LessThan,
                    BinOp::Le => FloatCC::LessThanOrEqual,
                    BinOp::Gt => FloatCC::GreaterThan,
                    _ => FloatCC::GreaterThanOrEqual,
                };
                self.b.ins().fcmp(cc, a, b)
            }
            (Parts::Str(ap, al), Parts::Str(bp, bl)) => match op {
                BinOp::Eq => self.call(self.helpers.str_eq, &[ap, al, bp, bl]),
                BinOp::Ne => {
                    let e = self.call(self.helpers.str_eq, &[ap, al, bp, bl]);
                    self.not(e)
                }
                _ => {
                    let c = self.call(self.helpers.str_cmp, &[ap, al, bp, bl]);
                    let cc = match op {
                        BinOp::Lt => IntCC::SignedLessThan,
                        BinOp::Le => IntCC::SignedLessThanOrEqual,
                        BinOp::Gt => IntCC::SignedGreaterThan,
                        _ => IntCC::SignedGreaterThanOrEqual,
                    };
                    self.b.ins().icmp_imm_s(cc, c, 0)
                }
            },
            (Parts::Point(a1, a2), Parts::Point(b1, b2)) => {
                let e1 = self.b.ins().fcmp(FloatCC::Equal, a1, b1);
                let e2 = self.b.ins().fcmp(FloatCC::Equal, a2, b2);
                let same = self.b.ins().band(e1, e2);
                match op {
                    BinOp::Eq | BinOp::Ge => same,
                    BinOp::Ne | BinOp::Lt => self.not(same),
                    BinOp::Le => self.i8(1),
                    _ => self.i8(0),
                }
            }
            _ => return Err(Unsupported),
        };
        let v = match absent {
            Some(a) => {
                let present = self.not(a);
                self.b.ins().band(r, present)
            }
            None => r,
        };
        Ok(Jv {
            parts: Parts::Bool(v),
            absent: None,
        })
    }

    /// Checked integer division or remainder (SPEC §3: zero and overflow are errors).
    fn int_div(&mut self, op: BinOp, a: Value, b: Value, absent: Option<Value>) -> Value {
        let zero = self.b.ins().icmp_imm_s(IntCC::Equal, b, 0);
        self.fail_if(zero, absent, 3);
        let minus_one = self.b.ins().icmp_imm_s(IntCC::Equal, b, -1);
        let min = self.b.ins().icmp_imm_s(IntCC::Equal, a, i64::MIN);
        let ovf = self.b.ins().band(minus_one, min);
        self.fail_if(ovf, absent, 2);
        // Absent operands reach here with placeholders: keep the divisor safe anyway.
        let one = self.i64(1);
        let bad = self.b.ins().bor(zero, ovf);
        let safe = self.b.ins().select(bad, one, b);
        if op == BinOp::Div {
            self.b.ins().sdiv(a, safe)
        } else {
            self.b.ins().srem(a, safe)
        }
    }

    fn finite(&mut self, r: Value, absent: Option<Value>) {
        let abs = self.b.ins().fabs(r);
        let inf = self.b.ins().f64const(f64::INFINITY);
        let ok = self.b.ins().fcmp(FloatCC::LessThan, abs, inf);
        let bad = self.not(ok);
        self.fail_if(bad, absent, 2);
    }

    fn arith(&mut self, op: BinOp, x: Jv, y: Jv) -> R<Jv> {
        let absent = self.either(x.absent, y.absent);
        let parts = match (x.parts, y.parts) {
            (Parts::Word(a), Parts::Word(b)) => {
                // Int, time and duration arithmetic (the checker allowed only meaningful
                // combinations): all words, every operation checked.
                let r = match op {
                    BinOp::Add => {
                        let (r, of) = self.b.ins().sadd_overflow(a, b);
                        self.fail_if(of, absent, 2);
                        r
                    }
                    BinOp::Sub => {
                        let (r, of) = self.b.ins().ssub_overflow(a, b);
                        self.fail_if(of, absent, 2);
                        r
                    }
                    BinOp::Mul => {
                        let (r, of) = self.b.ins().smul_overflow(a, b);
                        self.fail_if(of, absent, 2);
                        r
                    }
                    BinOp::Div | BinOp::Rem => self.int_div(op, a, b, absent),
                    _ => return Err(Unsupported),
                };
                Parts::Word(r)
            }
            (Parts::Float(a), Parts::Float(b)) => {
                if matches!(op, BinOp::Div | BinOp::Rem) {
                    let zero = self.b.ins().f64const(0.0);
                    let z = self.b.ins().fcmp(FloatCC::Equal, b, zero);
                    self.fail_if(z, absent, 3);
                }
                let r = match op {
                    BinOp::Add => self.b.ins().fadd(a, b),
                    BinOp::Sub => self.b.ins().fsub(a, b),
                    BinOp::Mul => self.b.ins().fmul(a, b),
                    BinOp::Div => self.b.ins().fdiv(a, b),
                    BinOp::Rem => self.call(self.helpers.fmod, &[a, b]),
                    _ => return Err(Unsupported),
                };
                self.finite(r, absent);
                Parts::Float(r)
            }
            _ => return Err(Unsupported),
        };
        Ok(Jv { parts, absent })
    }

    fn builtin(&mut self, f: Builtin, vals: &[Jv], absent: Option<Value>) -> R<Jv> {
        let p = |i: usize| vals.get(i).map(|v| v.parts).ok_or(Unsupported);
        let parts = match f {
            Builtin::Abs => match p(0)? {
                Parts::Word(v) => {
                    let min = self.b.ins().icmp_imm_s(IntCC::Equal, v, i64::MIN);
                    self.fail_if(min, absent, 2);
                    let neg = self.b.ins().ineg(v);
                    let is_neg = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, v, 0);
                    Parts::Word(self.b.ins().select(is_neg, neg, v))
                }
                Parts::Float(v) => Parts::Float(self.b.ins().fabs(v)),
                _ => return Err(Unsupported),
            },
            Builtin::Min | Builtin::Max => {
                let first = match (p(0)?, p(1)?) {
                    (Parts::Word(a), Parts::Word(b)) => {
                        let cc = if f == Builtin::Min {
                            IntCC::SignedLessThanOrEqual
                        } else {
                            IntCC::SignedGreaterThanOrEqual
                        };
                        self.b.ins().icmp(cc, a, b)
                    }
                    (Parts::Float(a), Parts::Float(b)) => {
                        let cc = if f == Builtin::Min {
                            FloatCC::LessThanOrEqual
                        } else {
                            FloatCC::GreaterThanOrEqual
                        };
                        self.b.ins().fcmp(cc, a, b)
                    }
                    (Parts::Str(ap, al), Parts::Str(bp, bl)) => {
                        let c = self.call(self.helpers.str_cmp, &[ap, al, bp, bl]);
                        let cc = if f == Builtin::Min {
                            IntCC::SignedLessThanOrEqual
                        } else {
                            IntCC::SignedGreaterThanOrEqual
                        };
                        self.b.ins().icmp_imm_s(cc, c, 0)
                    }
                    _ => return Err(Unsupported),
                };
                match (p(0)?, p(1)?) {
                    (Parts::Word(a), Parts::Word(b)) => {
                        Parts::Word(self.b.ins().select(first, a, b))
                    }
                    (Parts::Float(a), Parts::Float(b)) => {
                        Parts::Float(self.b.ins().select(first, a, b))
                    }
                    (Parts::Str(ap, al), Parts::Str(bp, bl)) => Parts::Str(
                        self.b.ins().select(first, ap, bp),
                        self.b.ins().select(first, al, bl),
                    ),
                    _ => return Err(Unsupported),
                }
            }
            Builtin::Float => match p(0)? {
                Parts::Word(v) => Parts::Float(self.b.ins().fcvt_from_sint(types::F64, v)),
                Parts::Float(v) => Parts::Float(v),
                _ => return Err(Unsupported),
            },
            Builtin::Int => match p(0)? {
                Parts::Word(v) => Parts::Word(v),
                Parts::Float(v) => {
                    let t = self.b.ins().trunc(v);
                    let lo = self.b.ins().f64const(-9.223_372_036_854_776e18);
                    let hi = self.b.ins().f64const(9.223_372_036_854_776e18);
                    let ge = self.b.ins().fcmp(FloatCC::GreaterThanOrEqual, t, lo);
                    let lt = self.b.ins().fcmp(FloatCC::LessThan, t, hi);
                    let ok = self.b.ins().band(ge, lt);
                    let bad = self.not(ok);
                    self.fail_if(bad, absent, 2);
                    Parts::Word(self.b.ins().fcvt_to_sint_sat(types::I64, t))
                }
                _ => return Err(Unsupported),
            },
            Builtin::Len => match p(0)? {
                Parts::Str(sp, sl) => Parts::Word(self.call(self.helpers.str_chars, &[sp, sl])),
                _ => return Err(Unsupported),
            },
            Builtin::Contains | Builtin::StartsWith | Builtin::EndsWith => match (p(0)?, p(1)?) {
                (Parts::Str(ap, al), Parts::Str(bp, bl)) => {
                    let h = match f {
                        Builtin::Contains => self.helpers.str_contains,
                        Builtin::StartsWith => self.helpers.str_starts_with,
                        _ => self.helpers.str_ends_with,
                    };
                    Parts::Bool(self.call(h, &[ap, al, bp, bl]))
                }
                _ => return Err(Unsupported),
            },
            Builtin::Hour | Builtin::Weekday | Builtin::Minute => match p(0)? {
                Parts::Word(t) => {
                    let h = match f {
                        Builtin::Hour => self.helpers.hour,
                        Builtin::Minute => self.helpers.minute,
                        _ => self.helpers.weekday,
                    };
                    let r = self.call(h, &[self.tables, t]);
                    let bad = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, r, 0);
                    self.fail_if(bad, absent, 2);
                    Parts::Word(r)
                }
                _ => return Err(Unsupported),
            },
            Builtin::Workday => match p(0)? {
                Parts::Word(t) => {
                    let r = self.call(self.helpers.workday, &[self.tables, t]);
                    let bad = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, r, 0);
                    self.fail_if(bad, absent, 2);
                    Parts::Bool(self.b.ins().icmp_imm_s(IntCC::Equal, r, 1))
                }
                _ => return Err(Unsupported),
            },
            // The interpreter's for now: a date is a new string, and a set has no compiled
            // form.
            Builtin::Date | Builtin::Intersects => return Err(Unsupported),
            // Cranelift's `sdiv` truncates toward zero, as `seconds` does.
            Builtin::Seconds => match p(0)? {
                Parts::Word(d) => Parts::Word(self.b.ins().sdiv_imm_s(d, 1000)),
                _ => return Err(Unsupported),
            },
            Builtin::Distance => match (p(0)?, p(1)?) {
                (Parts::Point(a1, a2), Parts::Point(b1, b2)) => {
                    Parts::Float(self.call(self.helpers.distance, &[a1, a2, b1, b2]))
                }
                _ => return Err(Unsupported),
            },
            Builtin::Point => match (p(0)?, p(1)?) {
                (Parts::Float(lat), Parts::Float(lon)) => Parts::Point(lat, lon),
                _ => return Err(Unsupported),
            },
            Builtin::Lower | Builtin::Upper => return Err(Unsupported),
        };
        Ok(Jv { parts, absent })
    }
}

/// Parts of the same shape as `like`, from a join block's parameters (the values first, then
/// the absence flag).
fn rebuild(like: &Parts, params: &[Value]) -> Parts {
    match (like, params) {
        (Parts::Bool(_), [a, ..]) => Parts::Bool(*a),
        (Parts::Word(_), [a, ..]) => Parts::Word(*a),
        (Parts::Float(_), [a, ..]) => Parts::Float(*a),
        (Parts::Str(..), [a, b, ..]) => Parts::Str(*a, *b),
        (Parts::Point(..), [a, b, ..]) => Parts::Point(*a, *b),
        _ => *like,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::{Engine, EngineConfig};

    #[test]
    fn reloads_and_drops_free_the_compiled_code() {
        // `* 2`: a bare `c.minutes >= m` is a range test, which the plan answers with no code.
        let program = |minutes: u32| {
            let text = format!(
                "unit desk\nevent Call {{ caller: str, minutes: int }}\n\
                 rule long {{\n  when c: Call where c.minutes * 2 >= {minutes}\n  alert desk\n}}\n"
            );
            Arc::new(
                vigil_compiler::load::compile_sources(&[("r.vigil", &text)]).expect("compiles"),
            )
        };
        let live = || super::LIVE_MODULES.with(|n| n.get());
        let before = live();
        let mut engine = Engine::new(program(30), EngineConfig::default());
        assert_eq!(live(), before + 1);
        for m in 0..50 {
            engine.reload(program(m)).expect("reloads");
        }
        assert_eq!(live(), before + 1, "one module after 50 reloads");
        drop(engine);
        assert_eq!(live(), before);
    }
}
