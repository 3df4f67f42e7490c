package store

import (
	"encoding/json"
	"fmt"

	"github.com/vigil-sec/vigil/internal/event"
)

// Columns are the indexed columns of a stored event: both stores keep the
// event's JSON document beside these, so that searches on the fields most
// queries name read an indexed column instead of the document. An empty
// string is an absent field; each store turns it into SQL NULL, so that
// field:* means "present".
type Columns struct {
	ID string
	TS int64 // @timestamp in Unix nanoseconds
	// Category is the first of event.category; Categories is the JSON
	// array of all of them, set only when there are two or more (the
	// usual single category needs no array).
	Category, Categories                        string
	Action, Outcome, Kind, Dataset              string
	HostID, HostName, UserName                  string
	ProcessName, ProcessExecutable, CommandLine string
	Message, SourceIP, DestinationIP, FilePath  string
}

// ColumnsOf extracts the indexed columns of e.
func ColumnsOf(e *event.Event) Columns {
	c := Columns{
		ID: e.Event.ID, TS: e.Timestamp.UnixNano(),
		Action: e.Event.Action, Outcome: e.Event.Outcome, Kind: e.Event.Kind, Dataset: e.Event.Dataset,
		Message: e.Message,
	}
	if len(e.Event.Category) > 0 {
		c.Category = e.Event.Category[0]
	}
	if len(e.Event.Category) > 1 {
		b, _ := json.Marshal(e.Event.Category) // a []string always encodes
		c.Categories = string(b)
	}
	if e.Host != nil {
		c.HostID, c.HostName = e.Host.ID, e.Host.Name
	}
	if e.User != nil {
		c.UserName = e.User.Name
	}
	if e.Process != nil {
		c.ProcessName, c.ProcessExecutable, c.CommandLine = e.Process.Name, e.Process.Executable, e.Process.CommandLine
	}
	if e.Source != nil {
		c.SourceIP = e.Source.IP
	}
	if e.Destination != nil {
		c.DestinationIP = e.Destination.IP
	}
	if e.File != nil {
		c.FilePath = e.File.Path
	}
	return c
}

// fieldColumns maps the indexed fields to their columns (the same names in
// both stores); event.category has two columns and is left to each store.
var fieldColumns = map[string]string{
	"@timestamp": "ts", "event.id": "id", "host.id": "host_id", "host.name": "host_name",
	"event.action": "action", "event.outcome": "outcome", "event.kind": "kind", "event.dataset": "dataset",
	"user.name": "user_name", "process.name": "process_name", "process.executable": "process_executable",
	"process.command_line": "command_line", "message": "message",
	"source.ip": "source_ip", "destination.ip": "destination_ip", "file.path": "file_path",
}

// Column returns the column that holds field, when the field is one of the
// indexed ones of Columns; everything else is read from the document.
func Column(field string) (string, bool) {
	c, ok := fieldColumns[field]
	return c, ok
}

// GiveID gives e a new ID when it has none.
func GiveID(e *event.Event) {
	if e.Event.ID == "" {
		e.Event.ID = event.NewID(e.Timestamp)
	}
}

// EncodeEvent returns the JSON document of e as it is stored. An event
// without an ID gets one first, so that every stored event can be
// deduplicated and found by event.id.
func EncodeEvent(e *event.Event) ([]byte, error) { return AppendEvent(make([]byte, 0, 1024), e) }

// AppendEvent appends the document EncodeEvent returns to b.
func AppendEvent(b []byte, e *event.Event) ([]byte, error) {
	GiveID(e)
	out, err := event.AppendJSON(b, e, true)
	if err != nil {
		return b, fmt.Errorf("event %s: %w", e.Event.ID, err)
	}
	return out, nil
}
