//! pass@k, the unbiased estimator of the HumanEval paper (Chen et al. 2021): with `n` runs of
//! which `c` passed, the chance that at least one of `k` runs drawn without replacement passes,
//! `1 - C(n-c, k) / C(n, k)`. With `k = n` it is 1 when any run passed ("any pass"), with
//! `k = 1` it is `c / n`.

/// pass@k for `n` runs with `c` passes; `k` is clamped to `1..=n` (0 when there are no runs).
pub fn pass_at_k(n: u32, c: u32, k: u32) -> f64 {
    if n == 0 {
        return 0.0;
    }
    let k = k.clamp(1, n);
    let c = c.min(n);
    if n - c < k {
        return 1.0;
    }
    // C(n-c, k) / C(n, k) = prod over i in n-c+1..=n of (1 - k/i): no large binomials.
    let fail_all: f64 = ((n - c + 1)..=n)
        .map(|i| 1.0 - f64::from(k) / f64::from(i))
        .product();
    1.0 - fail_all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn k_equal_to_n_is_any_pass() {
        assert_eq!(pass_at_k(3, 0, 3), 0.0);
        assert_eq!(pass_at_k(3, 1, 3), 1.0);
        assert_eq!(pass_at_k(3, 3, 3), 1.0);
    }

    #[test]
    fn k_one_is_the_pass_rate() {
        assert!(close(pass_at_k(3, 1, 1), 1.0 / 3.0));
        assert!(close(pass_at_k(4, 2, 1), 0.5));
        assert_eq!(pass_at_k(5, 0, 1), 0.0);
    }

    #[test]
    fn matches_the_binomial_formula() {
        // n = 5, c = 2, k = 2: 1 - C(3,2)/C(5,2) = 1 - 3/10.
        assert!(close(pass_at_k(5, 2, 2), 0.7));
        // n = 10, c = 3, k = 4: 1 - C(7,4)/C(10,4) = 1 - 35/210.
        assert!(close(pass_at_k(10, 3, 4), 1.0 - 35.0 / 210.0));
    }

    #[test]
    fn out_of_range_k_and_no_runs() {
        assert_eq!(pass_at_k(0, 0, 3), 0.0);
        assert!(close(pass_at_k(2, 1, 0), 0.5));
        assert_eq!(pass_at_k(2, 1, 9), 1.0);
    }
}
