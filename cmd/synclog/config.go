package main

import (
	"github.com/spf13/viper"
)

// readConfig parses a config file (YAML, JSON or TOML by its extension;
// YAML when it has none) into nested maps with lowercase keys.
func readConfig(path string) (map[string]any, error) {
	v := viper.New()
	v.SetConfigFile(path)
	if ext := extOf(path); ext == "" {
		v.SetConfigType("yaml")
	}
	if err := v.ReadInConfig(); err != nil {
		return nil, err
	}
	return v.AllSettings(), nil
}

func extOf(path string) string {
	for i := len(path) - 1; i >= 0 && path[i] != '/'; i-- {
		if path[i] == '.' {
			return path[i+1:]
		}
	}
	return ""
}
