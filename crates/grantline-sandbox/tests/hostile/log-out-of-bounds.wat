;; Logs a range outside its memory: a trap.
(module
  (import "grantline" "log" (func $log (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "grantline_alloc") (param i32) (result i32) i32.const 1024)
  (func (export "grantline_check") (param i32 i32) (result i32)
    (call $log (i32.const 65000) (i32.const 10000))
    i32.const 1))
