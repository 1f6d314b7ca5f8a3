;; Recurses without end: a stack overflow.
(module
  (memory (export "memory") 1)
  (func (export "grantline_alloc") (param i32) (result i32) i32.const 1024)
  (func $down (param $n i32) (result i32)
    (i32.add (call $down (i32.add (local.get $n) (i32.const 1))) (i32.const 1)))
  (func (export "grantline_check") (param i32 i32) (result i32)
    (drop (call $down (i32.const 0)))
    i32.const 1))
