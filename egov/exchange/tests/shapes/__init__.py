"""What deployed edXML senders send and what deployed readers read, written by us.

`writers`: one function per shape a deployed sender produces (the national SDK samples, Bkav
eDoc, a Java builder, a C# client, TypeScript/Go builders), from our own test data.
`readers`: one function per deployed reader, returning the fields that reader would see.
Nothing here is copied from those programs: it restates, in our words, which paths, names,
date forms and encodings they use.
"""
