;; Passes when the identity is in the group `security-training` (the
;; group the learning platform adds people to when they complete the
;; yearly security course): the input holds the bytes
;; `"security-training"`, which in the compact JSON input can only be a
;; list item or a text value spelled exactly so.
(module
  (memory (export "memory") 1)
  (data (i32.const 16) "\"security-training\"")   ;; 19 bytes

  (func (export "grantline_alloc") (param $size i32) (result i32)
    (local $pages i32)
    (local.set $pages
      (i32.shr_u
        (i32.add (i32.add (local.get $size) (i32.const 1024)) (i32.const 65535))
        (i32.const 16)))
    (if (i32.gt_u (local.get $pages) (memory.size))
      (then
        (if (i32.eq (memory.grow (i32.sub (local.get $pages) (memory.size))) (i32.const -1))
          (then (return (i32.const 0))))))
    (i32.const 1024))

  (func (export "grantline_check") (param $ptr i32) (param $len i32) (result i32)
    (local $i i32) (local $j i32)
    (block $absent
      (loop $next
        (br_if $absent (i32.gt_u (i32.add (local.get $i) (i32.const 19)) (local.get $len)))
        (local.set $j (i32.const 0))
        (block $differs
          (loop $compare
            (br_if $differs
              (i32.ne
                (i32.load8_u (i32.add (i32.add (local.get $ptr) (local.get $i)) (local.get $j)))
                (i32.load8_u (i32.add (i32.const 16) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br_if $compare (i32.lt_u (local.get $j) (i32.const 19))))
          (return (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.const 0)))
