;; invalid: effective type size exceeds the limit
(component
  (type $t0 (tuple u8 u8 u8 u8 u8 u8 u8 u8 u8 u8))
  (type $t1 (tuple $t0 $t0 $t0 $t0 $t0 $t0 $t0 $t0 $t0 $t0))
  (type $t2 (tuple $t1 $t1 $t1 $t1 $t1 $t1 $t1 $t1 $t1 $t1))
  (type $t3 (tuple $t2 $t2 $t2 $t2 $t2 $t2 $t2 $t2 $t2 $t2))
  (type $t4 (tuple $t3 $t3 $t3 $t3 $t3 $t3 $t3 $t3 $t3 $t3))
  (type $t5 (tuple $t4 $t4 $t4 $t4 $t4 $t4 $t4 $t4 $t4 $t4))
  (type $t6 (tuple $t5 $t5 $t5 $t5 $t5 $t5 $t5 $t5 $t5 $t5))
)
