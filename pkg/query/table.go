package query

// Tabulate lays out query outputs as rows: each object is a row, its keys
// the columns (the union of keys, in first-seen order); an array output
// contributes one row per element; any other value is a row with one
// "value" column. Cells hold strings as they are and other values as
// compact JSON.
func Tabulate(values []any) (header []string, rows [][]string) {
	var flat []any
	for _, v := range values {
		if a, ok := v.([]any); ok {
			flat = append(flat, a...)
		} else {
			flat = append(flat, v)
		}
	}
	col := map[string]int{}
	addCol := func(k string) {
		if _, ok := col[k]; !ok {
			col[k] = len(header)
			header = append(header, k)
		}
	}
	for _, v := range flat {
		if m, ok := v.(map[string]any); ok {
			for _, k := range sortedKeys(m) {
				addCol(k)
			}
		} else {
			addCol("value")
		}
	}
	enc := &Encoder{}
	cell := func(v any) string {
		if s, ok := v.(string); ok {
			return s
		}
		return string(enc.Append(nil, v))
	}
	for _, v := range flat {
		row := make([]string, len(header))
		if m, ok := v.(map[string]any); ok {
			for k, x := range m {
				row[col[k]] = cell(x)
			}
		} else {
			row[col["value"]] = cell(v)
		}
		rows = append(rows, row)
	}
	return header, rows
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	// insertion sort: objects here are small
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}
