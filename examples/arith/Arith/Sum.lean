import Arith.Mul

/-!
# Finite sums `f 0 + f 1 + ⋯ + f (n - 1)`

`sumTo f n` is the sum of the first `n` values of `f`. Its two equations
(`sumTo_zero`, `sumTo_succ`) and the linearity lemmas below are the workhorses of the
later projects' counting arguments.
-/

namespace Arith

/-- `sumTo f n = f 0 + ⋯ + f (n - 1)`. -/
def sumTo (f : Nat → Nat) : Nat → Nat
  | 0 => 0
  | n + 1 => sumTo f n + f n

theorem sumTo_zero (f : Nat → Nat) : sumTo f 0 = 0 := rfl

theorem sumTo_succ (f : Nat → Nat) (n : Nat) : sumTo f (n + 1) = sumTo f n + f n := rfl

theorem sumTo_one (f : Nat → Nat) : sumTo f 1 = f 0 := by
  have h1 := sumTo_succ f 0
  have h2 := sumTo_zero f
  omega

theorem sumTo_add (f g : Nat → Nat) (n : Nat) :
    sumTo (fun i => f i + g i) n = sumTo f n + sumTo g n := by
  induction n with
  | zero => rfl
  | succ n ih =>
    have h1 : sumTo (fun i => f i + g i) (n + 1) = sumTo (fun i => f i + g i) n + (f n + g n) :=
      sumTo_succ _ n
    have h2 := sumTo_succ f n
    have h3 := sumTo_succ g n
    omega

theorem sumTo_const (c n : Nat) : sumTo (fun _ => c) n = n * c := by
  induction n with
  | zero =>
    have h1 : sumTo (fun _ => c) 0 = 0 := sumTo_zero _
    have h2 := mul_zero_left c
    omega
  | succ n ih =>
    have h1 : sumTo (fun _ => c) (n + 1) = sumTo (fun _ => c) n + c := sumTo_succ _ n
    have h2 := mul_succ_left n c
    omega

theorem sumTo_zero_fun (n : Nat) : sumTo (fun _ => 0) n = 0 := by
  have h1 := sumTo_const 0 n
  have h2 := mul_zero_right n
  omega

theorem sumTo_le {f g : Nat → Nat} (h : ∀ i, f i ≤ g i) (n : Nat) : sumTo f n ≤ sumTo g n := by
  induction n with
  | zero => exact Nat.le_refl 0
  | succ n ih =>
    have h1 := sumTo_succ f n
    have h2 := sumTo_succ g n
    have h3 := h n
    omega

theorem sumTo_le_add (f : Nat → Nat) (m k : Nat) : sumTo f m ≤ sumTo f (m + k) := by
  induction k with
  | zero => exact Nat.le_refl _
  | succ k ih =>
    have h : sumTo f (m + (k + 1)) = sumTo f (m + k) + f (m + k) := sumTo_succ f (m + k)
    omega

theorem sumTo_split (f : Nat → Nat) (m k : Nat) :
    sumTo f (m + k) = sumTo f m + sumTo (fun i => f (m + i)) k := by
  induction k with
  | zero => simp [sumTo_zero]
  | succ k ih =>
    have h1 : sumTo f (m + (k + 1)) = sumTo f (m + k) + f (m + k) := sumTo_succ f (m + k)
    have h2 : sumTo (fun i => f (m + i)) (k + 1) = sumTo (fun i => f (m + i)) k + f (m + k) :=
      sumTo_succ _ k
    omega

theorem sumTo_shift (f : Nat → Nat) (n : Nat) :
    sumTo f (n + 1) = f 0 + sumTo (fun i => f (i + 1)) n := by
  induction n with
  | zero =>
    have h1 := sumTo_succ f 0
    have h2 := sumTo_zero f
    have h3 : sumTo (fun i => f (i + 1)) 0 = 0 := sumTo_zero _
    omega
  | succ n ih =>
    have h1 := sumTo_succ f (n + 1)
    have h2 : sumTo (fun i => f (i + 1)) (n + 1) = sumTo (fun i => f (i + 1)) n + f (n + 1) :=
      sumTo_succ _ n
    omega

theorem sumTo_ext {f g : Nat → Nat} (n : Nat) (h : ∀ i, i < n → f i = g i) :
    sumTo f n = sumTo g n := by
  induction n with
  | zero => rfl
  | succ n ih =>
    have h1 := sumTo_succ f n
    have h2 := sumTo_succ g n
    have h3 := ih (fun i hi => h i (by omega))
    have h4 := h n (by omega)
    omega

theorem sumTo_mul (c : Nat) (f : Nat → Nat) (n : Nat) :
    sumTo (fun i => c * f i) n = c * sumTo f n := by
  induction n with
  | zero => rfl
  | succ n ih =>
    have h1 : sumTo (fun i => c * f i) (n + 1) = sumTo (fun i => c * f i) n + c * f n :=
      sumTo_succ _ n
    have h2 : c * sumTo f (n + 1) = c * (sumTo f n + f n) := by rw [sumTo_succ]
    have h3 := mul_add_right c (sumTo f n) (f n)
    omega

theorem sumTo_double (f : Nat → Nat) (n : Nat) :
    sumTo (fun i => double (f i)) n = double (sumTo f n) := by
  induction n with
  | zero => rfl
  | succ n ih =>
    have h1 : sumTo (fun i => double (f i)) (n + 1) = sumTo (fun i => double (f i)) n + double (f n) :=
      sumTo_succ _ n
    have h2 : double (sumTo f (n + 1)) = double (sumTo f n + f n) := by rw [sumTo_succ]
    have h3 := double_add (sumTo f n) (f n)
    omega

theorem sumTo_id_succ (n : Nat) : sumTo (fun i => i) (n + 1) = tri n := by
  induction n with
  | zero => rfl
  | succ n ih =>
    have h1 : sumTo (fun i => i) (n + 1 + 1) = sumTo (fun i => i) (n + 1) + (n + 1) :=
      sumTo_succ _ (n + 1)
    have h2 := tri_succ n
    omega

theorem sumTo_odd (n : Nat) : sumTo (fun i => double i + 1) n = n * n := by
  induction n with
  | zero => rfl
  | succ n ih =>
    have h1 : sumTo (fun i => double i + 1) (n + 1) = sumTo (fun i => double i + 1) n + (double n + 1) :=
      sumTo_succ _ n
    have h2 := double_def n
    have h3 := mul_succ_right (n + 1) n
    have h4 := mul_succ_left n n
    omega

theorem double_sumTo_id (n : Nat) : double (sumTo (fun i => i) (n + 1)) = n * (n + 1) := by
  rw [sumTo_id_succ, double_tri]

theorem sumTo_pos {f : Nat → Nat} {n : Nat} (i : Nat) (hi : i < n) (hf : 0 < f i) :
    0 < sumTo f n := by
  have h1 := sumTo_split f (i + 1) (n - (i + 1))
  have h2 : i + 1 + (n - (i + 1)) = n := by omega
  have h3 := sumTo_succ f i
  rw [h2] at h1
  omega

end Arith
