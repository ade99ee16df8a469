import Arith.Basic
import Arith.Mul
import Arith.Sum
import Arith.Parity
import Arith.MinMax
import Arith.Fib
import Arith.Identities
