;; Counts its calls in a global and in memory, and passes only on the
;; first call it sees: with a fresh instance per call, it always passes.
(module
  (memory (export "memory") 1)
  (func (export "grantline_alloc") (param i32) (result i32) i32.const 1024)
  (global $calls (mut i32) (i32.const 0))
  (func (export "grantline_check") (param i32 i32) (result i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.const 1)))
    (i32.and
      (i32.eq (global.get $calls) (i32.const 1))
      (i32.eq (i32.load (i32.const 0)) (i32.const 1)))))
