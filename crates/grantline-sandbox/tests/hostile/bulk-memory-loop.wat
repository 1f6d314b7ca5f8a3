;; Fills its whole 16 MiB memory over and over. A `memory.fill` costs one
;; unit of fuel however many bytes it writes, so fuel alone would let this
;; run for many minutes: the time limit stops it.
(module
  (memory (export "memory") 256)
  (func (export "grantline_alloc") (param i32) (result i32) i32.const 1024)
  (func (export "grantline_check") (param i32 i32) (result i32)
    (loop $forever
      (memory.fill (i32.const 0) (i32.const 7) (i32.const 16777216))
      (memory.copy (i32.const 0) (i32.const 8388608) (i32.const 8388608))
      (br $forever))
    i32.const 1))
