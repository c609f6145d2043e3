// helm-render renders a Helm chart's templates the way `helm template` does, for tests on a
// machine without a helm binary. It uses Helm's own template engine parts — Go's text/template
// and Sprig — and follows Helm v3's pkg/engine: Sprig's functions minus env and expandenv, plus
// Helm's toYaml, fromYaml, toJson, fromJson, include, tpl, required and lookup; missing keys
// render empty ("<no value>" removed); files under templates/ whose name starts with "_" are
// partials; values.yaml merged with -f files (later wins, null removes a key); .Release,
// .Chart, .Capabilities, .Template and .Files as Helm names them.
//
// Usage: helm-render [--include-crds] [--release NAME] [--namespace NS] [-f values.yaml]... CHART
// Prints the manifests as `helm template` does: "---\n# Source: <chart>/<path>\n<manifest>".
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"github.com/ghodss/yaml"
)

type files map[string][]byte

// Get returns a file's content as a string (Helm's .Files.Get).
func (f files) Get(name string) string { return string(f[name]) }

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "helm-render: "+format+"\n", args...)
	os.Exit(1)
}

// merge copies src over dst: maps merge key by key, a null deletes, anything else replaces.
func merge(dst, src map[string]interface{}) map[string]interface{} {
	for k, v := range src {
		if v == nil {
			delete(dst, k)
			continue
		}
		sm, sok := v.(map[string]interface{})
		dm, dok := dst[k].(map[string]interface{})
		if sok && dok {
			dst[k] = merge(dm, sm)
		} else {
			dst[k] = v
		}
	}
	return dst
}

func readYAML(path string) map[string]interface{} {
	data, err := os.ReadFile(path)
	if err != nil {
		fail("%v", err)
	}
	out := map[string]interface{}{}
	if err := yaml.Unmarshal(data, &out); err != nil {
		fail("%s: %v", path, err)
	}
	return out
}

func funcMap(t **template.Template) template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	f["toYaml"] = func(v interface{}) string {
		data, err := yaml.Marshal(v)
		if err != nil {
			return ""
		}
		return strings.TrimSuffix(string(data), "\n")
	}
	f["fromYaml"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := yaml.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	f["toJson"] = func(v interface{}) string {
		data, err := json.Marshal(v)
		if err != nil {
			return ""
		}
		return string(data)
	}
	f["fromJson"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	f["include"] = func(name string, data interface{}) (string, error) {
		var buf bytes.Buffer
		if err := (*t).ExecuteTemplate(&buf, name, data); err != nil {
			return "", err
		}
		return buf.String(), nil
	}
	f["tpl"] = func(text string, data interface{}) (string, error) {
		c, err := (*t).Clone()
		if err != nil {
			return "", err
		}
		c, err = c.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		if err := c.Execute(&buf, data); err != nil {
			return "", err
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
	f["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil {
			return v, errors.New(msg)
		}
		if s, ok := v.(string); ok && s == "" {
			return v, errors.New(msg)
		}
		return v, nil
	}
	f["lookup"] = func(string, string, string, string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil
	}
	return f
}

func main() {
	release, namespace, includeCRDs := "sluice", "sluice-system", false
	var valueFiles []string
	var chart string
	args := os.Args[1:]
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "--include-crds":
			includeCRDs = true
		case "--release":
			i++
			release = args[i]
		case "--namespace":
			i++
			namespace = args[i]
		case "-f":
			i++
			valueFiles = append(valueFiles, args[i])
		default:
			chart = args[i]
		}
	}
	if chart == "" {
		fail("usage: helm-render [--include-crds] [--release NAME] [--namespace NS] [-f values.yaml]... CHART")
	}
	meta := readYAML(filepath.Join(chart, "Chart.yaml"))
	values := readYAML(filepath.Join(chart, "values.yaml"))
	for _, f := range valueFiles {
		values = merge(values, readYAML(f))
	}
	chartName, _ := meta["name"].(string)
	chartObj := map[string]interface{}{}
	for k, v := range meta {
		chartObj[strings.ToUpper(k[:1])+k[1:]] = v
	}
	all := files{}
	_ = filepath.Walk(chart, func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			rel, _ := filepath.Rel(chart, path)
			data, _ := os.ReadFile(path)
			all[filepath.ToSlash(rel)] = data
		}
		return nil
	})
	var names []string
	for name := range all {
		if strings.HasPrefix(name, "templates/") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var t *template.Template
	t = template.New(chartName).Option("missingkey=zero").Funcs(funcMap(&t))
	for _, name := range names {
		if _, err := t.New(chartName + "/" + name).Parse(string(all[name])); err != nil {
			fail("%v", err)
		}
	}
	top := map[string]interface{}{
		"Values":       values,
		"Release":      map[string]interface{}{"Name": release, "Namespace": namespace, "IsInstall": true, "IsUpgrade": false, "Revision": 1, "Service": "Helm"},
		"Chart":        chartObj,
		"Capabilities": map[string]interface{}{"KubeVersion": map[string]interface{}{"Version": "v1.32.0", "Major": "1", "Minor": "32"}, "APIVersions": []string{}},
		"Files":        all,
	}
	var out strings.Builder
	if includeCRDs {
		for _, name := range sortedWithPrefix(all, "crds/") {
			fmt.Fprintf(&out, "---\n# Source: %s/%s\n%s\n", chartName, name, strings.TrimSpace(string(all[name])))
		}
	}
	for _, name := range names {
		base := filepath.Base(name)
		if strings.HasPrefix(base, "_") || strings.HasSuffix(base, ".txt") {
			continue
		}
		top["Template"] = map[string]interface{}{"Name": chartName + "/" + name, "BasePath": chartName + "/templates"}
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, chartName+"/"+name, top); err != nil {
			fail("%v", err)
		}
		text := strings.TrimSpace(strings.ReplaceAll(buf.String(), "<no value>", ""))
		if text == "" {
			continue
		}
		fmt.Fprintf(&out, "---\n# Source: %s/%s\n%s\n", chartName, name, text)
	}
	fmt.Print(out.String())
}

func sortedWithPrefix(all files, prefix string) []string {
	var names []string
	for name := range all {
		if strings.HasPrefix(name, prefix) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}
