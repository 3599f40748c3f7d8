//! Places a graph's nodes for the picture: Fruchterman and Reingold's force-directed layout
//! (connected people pull together, everyone pushes apart), run for a fixed number of rounds
//! from a circle. No randomness, so the same graph is drawn the same way on every load.

/// The drawing area, in SVG units.
pub const WIDTH: f64 = 800.0;
pub const HEIGHT: f64 = 560.0;
const ROUNDS: usize = 150;

/// Positions for `n` nodes joined by `edges` (pairs of node indices), inside the area.
pub fn place(n: usize, edges: &[(usize, usize)]) -> Vec<(f64, f64)> {
    let (cx, cy) = (WIDTH / 2.0, HEIGHT / 2.0);
    if n == 1 {
        return vec![(cx, cy)];
    }
    let mut at: Vec<(f64, f64)> = (0..n)
        .map(|i| {
            let a = std::f64::consts::TAU * i as f64 / n as f64;
            (cx + cx * 0.8 * a.cos(), cy + cy * 0.8 * a.sin())
        })
        .collect();
    // The ideal distance between two nodes: the area shared out evenly.
    let k = (WIDTH * HEIGHT / n.max(1) as f64).sqrt() * 0.8;
    let mut temperature = WIDTH / 10.0;
    let cool = temperature / ROUNDS as f64;
    let mut push = vec![(0.0_f64, 0.0_f64); n];
    for _ in 0..ROUNDS {
        push.iter_mut().for_each(|p| *p = (0.0, 0.0));
        for i in 0..n {
            for j in i + 1..n {
                let (dx, dy, d) = apart(at[i], at[j], i, j);
                let f = k * k / d;
                push[i].0 += dx / d * f;
                push[i].1 += dy / d * f;
                push[j].0 -= dx / d * f;
                push[j].1 -= dy / d * f;
            }
        }
        for &(i, j) in edges {
            if i == j || i >= n || j >= n {
                continue;
            }
            let (dx, dy, d) = apart(at[i], at[j], i, j);
            let f = d * d / k;
            push[i].0 -= dx / d * f;
            push[i].1 -= dy / d * f;
            push[j].0 += dx / d * f;
            push[j].1 += dy / d * f;
        }
        for (p, (px, py)) in at.iter_mut().zip(&push) {
            let len = (px * px + py * py).sqrt().max(1e-9);
            let step = len.min(temperature);
            p.0 = (p.0 + px / len * step).clamp(0.0, WIDTH);
            p.1 = (p.1 + py / len * step).clamp(0.0, HEIGHT);
        }
        temperature = (temperature - cool).max(1.0);
    }
    at
}

/// The vector from `b` to `a` and its length, never zero (two nodes on one spot are nudged
/// apart by their indices, so the layout stays deterministic).
fn apart(a: (f64, f64), b: (f64, f64), i: usize, j: usize) -> (f64, f64, f64) {
    let (mut dx, mut dy) = (a.0 - b.0, a.1 - b.1);
    if dx.abs() < 1e-6 && dy.abs() < 1e-6 {
        dx = 0.01 * (i as f64 - j as f64);
        dy = 0.01;
    }
    (dx, dy, (dx * dx + dy * dy).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_stay_inside_the_area_and_do_not_pile_up() {
        let edges: Vec<(usize, usize)> = (1..30).map(|i| (0, i)).collect();
        let at = place(30, &edges);
        assert_eq!(at.len(), 30);
        for (x, y) in &at {
            assert!((0.0..=WIDTH).contains(x) && (0.0..=HEIGHT).contains(y));
        }
        for i in 0..at.len() {
            for j in i + 1..at.len() {
                let d = ((at[i].0 - at[j].0).powi(2) + (at[i].1 - at[j].1).powi(2)).sqrt();
                assert!(d > 5.0, "nodes {i} and {j} overlap ({d})");
            }
        }
    }

    #[test]
    fn connected_nodes_end_closer_than_unconnected_ones() {
        // Two triangles with no edge between them.
        let at = place(6, &[(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3)]);
        let d =
            |a: usize, b: usize| ((at[a].0 - at[b].0).powi(2) + (at[a].1 - at[b].1).powi(2)).sqrt();
        assert!(d(0, 1) < d(0, 4), "{at:?}");
        assert_eq!(place(6, &[(0, 1)]), place(6, &[(0, 1)]), "deterministic");
    }
}
