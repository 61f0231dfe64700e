package classify

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// fn is what calling a function does.
type fn struct {
	risky bool
	write bool
}

// functions are matched by their last name part, lower-cased, whatever the
// schema: pg_catalog.pg_read_file and a look-alike in another schema are both
// flagged, since a caller can choose which one search_path finds.
var functions = map[string]fn{
	// Server files and directories.
	"pg_read_file":            {risky: true},
	"pg_read_binary_file":     {risky: true},
	"pg_stat_file":            {risky: true},
	"pg_ls_dir":               {risky: true},
	"pg_ls_logdir":            {risky: true},
	"pg_ls_waldir":            {risky: true},
	"pg_ls_tmpdir":            {risky: true},
	"pg_ls_archive_statusdir": {risky: true},
	"pg_ls_logicalsnapdir":    {risky: true},
	"pg_ls_logicalmapdir":     {risky: true},
	"pg_ls_replslotdir":       {risky: true},
	"pg_logdir_ls":            {risky: true},
	"pg_file_write":           {risky: true, write: true},
	"pg_file_rename":          {risky: true, write: true},
	"pg_file_unlink":          {risky: true, write: true},
	"pg_file_sync":            {risky: true, write: true},
	"lo_import":               {risky: true, write: true},
	"lo_export":               {risky: true, write: true},
	"lo_unlink":               {risky: true, write: true},
	"get_raw_page":            {risky: true},

	// Other sessions and the server process.
	"pg_terminate_backend":                {risky: true, write: true},
	"pg_cancel_backend":                   {risky: true, write: true},
	"pg_reload_conf":                      {risky: true, write: true},
	"pg_rotate_logfile":                   {risky: true, write: true},
	"pg_log_backend_memory_contexts":      {risky: true, write: true},
	"pg_promote":                          {risky: true, write: true},
	"pg_switch_wal":                       {risky: true, write: true},
	"pg_create_restore_point":             {risky: true, write: true},
	"pg_backup_start":                     {risky: true, write: true},
	"pg_backup_stop":                      {risky: true, write: true},
	"pg_start_backup":                     {risky: true, write: true},
	"pg_stop_backup":                      {risky: true, write: true},
	"pg_wal_replay_pause":                 {risky: true, write: true},
	"pg_wal_replay_resume":                {risky: true, write: true},
	"pg_create_physical_replication_slot": {risky: true, write: true},
	"pg_create_logical_replication_slot":  {risky: true, write: true},
	"pg_copy_physical_replication_slot":   {risky: true, write: true},
	"pg_copy_logical_replication_slot":    {risky: true, write: true},
	"pg_drop_replication_slot":            {risky: true, write: true},
	"pg_replication_slot_advance":         {risky: true, write: true},
	"pg_logical_slot_get_changes":         {risky: true, write: true},
	"pg_logical_slot_get_binary_changes":  {risky: true, write: true},
	"pg_logical_emit_message":             {risky: true, write: true},

	// Functions that run SQL given as a string, which this package cannot see.
	"query_to_xml":               {risky: true, write: true},
	"query_to_xmlschema":         {risky: true, write: true},
	"query_to_xml_and_xmlschema": {risky: true, write: true},
	"ts_stat":                    {risky: true, write: true},
	"pg_background_launch":       {risky: true, write: true},

	// Writes that need no review by themselves.
	"nextval":                                {write: true},
	"setval":                                 {write: true},
	"lo_create":                              {write: true},
	"lo_creat":                               {write: true},
	"lo_from_bytea":                          {write: true},
	"lo_put":                                 {write: true},
	"lo_truncate":                            {write: true},
	"lo_truncate64":                          {write: true},
	"lowrite":                                {write: true},
	"pg_advisory_lock":                       {write: true},
	"pg_advisory_lock_shared":                {write: true},
	"pg_advisory_xact_lock":                  {write: true},
	"pg_advisory_xact_lock_shared":           {write: true},
	"pg_try_advisory_lock":                   {write: true},
	"pg_try_advisory_lock_shared":            {write: true},
	"pg_try_advisory_xact_lock":              {write: true},
	"pg_try_advisory_xact_lock_shared":       {write: true},
	"pg_stat_reset":                          {write: true},
	"pg_stat_reset_shared":                   {write: true},
	"pg_stat_reset_single_table_counters":    {write: true},
	"pg_stat_reset_single_function_counters": {write: true},
	"pg_stat_reset_slru":                     {write: true},
	"pg_stat_reset_replication_slot":         {write: true},
	"pg_stat_reset_subscription_stats":       {write: true},
	"pg_stat_statements_reset":               {write: true},
}

func (w *walker) funcCall(x *pg_query.FuncCall) {
	schema, name := funcName(x.Funcname)
	if f, ok := functions[name]; ok {
		w.v.Write = w.v.Write || f.write
		if f.risky {
			w.v.risky("calls " + name)
		}
	}
	switch {
	case name == "set_config":
		w.setConfig(x.Args)
		if len(x.Args) >= 2 {
			w.sends = append(w.sends, x.Args[1])
		}
	case name == "pg_notify":
		w.sends = append(w.sends, x.Args...)
	case strings.HasPrefix(name, "dblink"):
		// Runs SQL on another server, which may do anything there.
		w.v.Write = true
		w.v.risky("calls " + name)
	case name == "ts_rewrite" && len(x.Args) == 2:
		// The two-argument form runs its second argument as a query.
		w.v.Write = true
		w.v.risky("calls ts_rewrite with a query")
	case schema == "cron":
		// pg_cron runs SQL later, out of this session's sight.
		w.v.Write = true
		w.v.risky("calls cron." + name)
	}
}

func funcName(parts []*pg_query.Node) (schema, name string) {
	if len(parts) == 0 {
		return "", ""
	}
	name = strings.ToLower(parts[len(parts)-1].GetString_().GetSval())
	if len(parts) > 1 {
		schema = strings.ToLower(parts[len(parts)-2].GetString_().GetSval())
	}
	return schema, name
}

// setConfig judges set_config(name, value, is_local) like the SET it is.
func (w *walker) setConfig(args []*pg_query.Node) {
	if len(args) < 2 {
		return
	}
	name, ok := w.constant(args[0]).setting()
	if !ok {
		w.v.refuse("set_config of a setting that is not a constant")
		return
	}
	w.setting(strings.ToLower(strings.TrimSpace(name)), func() (string, bool) {
		return w.constant(args[1]).setting()
	})
}
