import Algebra.Monoid
import Algebra.Group
import Algebra.Comm
import Algebra.Hom
import Algebra.Instances
import Algebra.Transfer
