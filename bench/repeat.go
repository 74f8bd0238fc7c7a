package main

import (
	"fmt"
	"slices"
	"strings"
)

// merge folds the rows of several runs (-repeat) into one row per figure,
// in the order the figures first came: the median value and reference, the
// runs' range, and the median of each run's ratio to its own reference, so
// that a floor measured beside a figure in one run is compared with that
// run's figure only. Rows that are text give each text with the number of
// runs that saw it when they disagree. One run's rows come back as they
// are.
func merge(runs [][]row) []row {
	if len(runs) == 1 {
		return runs[0]
	}
	var order []string
	groups := map[string][]row{}
	for _, run := range runs {
		for _, r := range run {
			k := r.key()
			if _, ok := groups[k]; !ok {
				order = append(order, k)
			}
			groups[k] = append(groups[k], r)
		}
	}
	merged := make([]row, 0, len(order))
	for _, k := range order {
		merged = append(merged, mergeRuns(groups[k]))
	}
	return merged
}

// key names a figure across runs.
func (r row) key() string {
	return strings.Join([]string{r.Section, r.Series, fmt.Sprint(r.Size), r.Figure, r.RefLabel}, "\x00")
}

func mergeRuns(rs []row) row {
	m := rs[0]
	m.Spread = &spread{Runs: len(rs)}
	if m.Text != "" {
		m.Text = mergeTexts(rs)
		return m
	}
	values := make([]float64, len(rs))
	var refs, highs, ratios []float64
	for i, r := range rs {
		values[i] = r.Value
		if r.Ref != nil {
			refs = append(refs, *r.Ref)
			if r.RefHigh == nil && *r.Ref != 0 {
				ratios = append(ratios, r.Value / *r.Ref)
			}
		}
		if r.RefHigh != nil {
			highs = append(highs, *r.RefHigh)
		}
	}
	m.Value = median(values)
	m.Spread.Low, m.Spread.High = slices.Min(values), slices.Max(values)
	if len(refs) > 0 {
		m.Ref = new(median(refs))
	}
	if len(highs) > 0 {
		m.RefHigh = new(median(highs))
	}
	if len(ratios) > 0 {
		m.Spread.Ratio = new(median(ratios))
		m.Spread.RatioLow, m.Spread.RatioHigh = new(slices.Min(ratios)), new(slices.Max(ratios))
	}
	return m
}

// mergeTexts is the text all runs agree on, or each text with its count:
// "1 typing, 1 not_typing (2 of 3); 2 typing, 1 not_typing (1 of 3)".
func mergeTexts(rs []row) string {
	var order []string
	count := map[string]int{}
	for _, r := range rs {
		if count[r.Text] == 0 {
			order = append(order, r.Text)
		}
		count[r.Text]++
	}
	if len(order) == 1 {
		return order[0]
	}
	parts := make([]string, len(order))
	for i, t := range order {
		parts[i] = fmt.Sprintf("%s (%d of %d)", t, count[t], len(rs))
	}
	return strings.Join(parts, "; ")
}
