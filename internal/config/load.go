package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"

	"go.yaml.in/yaml/v3"
)

// Load reads and validates the configuration file at path, expanding
// ${NAME} from the process environment.
//
// An error is one line: "config: PATH: " and then every problem found, each
// as "key.path: what is wrong", separated by "; ". Secrets are never quoted.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c, err := parse(data, os.LookupEnv)
	if err != nil {
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	return c, nil
}

// Parse validates a configuration held in memory. lookupEnv resolves
// ${NAME} references; tests pass a map's lookup instead of the environment.
// Its errors are shaped like Load's, without the file name.
func Parse(data []byte, lookupEnv func(string) (string, bool)) (*Config, error) {
	c, err := parse(data, lookupEnv)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return c, nil
}

// parse decodes, then validates. Validation only runs on a file that decoded
// cleanly, so a value that could not be read is not also reported missing.
func parse(data []byte, lookupEnv func(string) (string, bool)) (*Config, error) {
	root, err := parseDocument(data)
	if err != nil {
		return nil, errors.New(oneLine(err.Error()))
	}
	var c Config
	r := newReport()
	d := decoder{lookupEnv: lookupEnv, report: r, merging: map[*yaml.Node]bool{}}
	d.mapping("", root, reflect.ValueOf(&c).Elem())
	if err := r.err(); err != nil {
		return nil, err
	}
	check(&c, r)
	if err := r.err(); err != nil {
		return nil, err
	}
	return &c, nil
}
