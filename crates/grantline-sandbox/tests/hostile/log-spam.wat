;; Logs the input over and over: the log is cut at its limit, the loop is
;; stopped by the fuel or the time limit.
(module
  (import "grantline" "log" (func $log (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "grantline_alloc") (param i32) (result i32) i32.const 1024)
  (func (export "grantline_check") (param $ptr i32) (param $len i32) (result i32)
    (loop $again
      (call $log (local.get $ptr) (local.get $len))
      (br $again))
    i32.const 1))
